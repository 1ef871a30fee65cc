"""Journey (d), the static half: each engine's bake, read chapter by chapter as its user reads it, shows no
command its engine refuses, and the chapters CI does not run again under the second engine hold nothing but
blocks the default engine's run already ran (harness/chapters.py, SECOND_ENGINE_CHAPTERS, says why that covers
them). The chapters that drive the engine run under both engines in tests/container/test_chapters.py."""
import json
import re
import subprocess
import sys

import pytest

from harness import chapters
from harness.bake import DEFAULT_ENGINE, ENGINES, bake

SECOND_ENGINE = next(name for name in ENGINES if name != DEFAULT_ENGINE)
# How a chapter would ask for a value an engine lacks (Engine.lacks: setting -> the only value it has).
LACKED_OPTIONS = {"export_quantize": re.compile(r"playbook export\b[^\n]*--float\b|export_quantize\s*=\s*false", re.I)}


@pytest.fixture(scope="module")
def projects(tmp_path_factory):
    # One slug for both, as the chapters run them: the docs name the project by it.
    return {engine: bake(tmp_path_factory.mktemp(engine.split("-")[0]), {**ENGINES[engine], **chapters.CHAPTERS_CONTEXT})
            for engine in ENGINES}


def engine_limits(project, engine):
    """The baked project's own word on what ENGINE cannot do: its `cannot` commands and `lacks` settings."""
    code = ("import json; from playbook.engines import by_name; e = by_name({!r}); "
            "print(json.dumps({{'cannot': sorted(e.cannot), 'lacks': sorted(e.lacks)}}))").format(engine)
    result = subprocess.run([sys.executable, "-c", code], cwd=project, capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def blocks(project):
    return {name: [block.code for block in chapters.parse(project / "docs" / f"{name}.md")]
            for name in chapters.available(project)}


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_no_chapter_shows_a_command_its_engine_refuses(projects, engine):
    limits = engine_limits(projects[engine], engine)
    assert set(limits["lacks"]) <= set(LACKED_OPTIONS), f"say in LACKED_OPTIONS how a chapter sets {limits['lacks']}"
    refused = [re.compile(r"\b(playbook|make)\s+{}\b".format(re.escape(command))) for command in limits["cannot"]]
    refused += [LACKED_OPTIONS[setting] for setting in limits["lacks"]]
    shown = [(name, pattern.search(code).group(0)) for name, codes in blocks(projects[engine]).items()
             for code in codes for pattern in refused if pattern.search(code)]
    assert shown == [], f"the {engine} bake's chapters run what {engine} refuses: {shown}"


def test_the_second_engine_s_other_chapters_hold_only_blocks_the_default_engine_ran(projects):
    default, second = blocks(projects[DEFAULT_ENGINE]), blocks(projects[SECOND_ENGINE])
    assert set(chapters.SECOND_ENGINE_CHAPTERS) <= set(second) and set(second) == set(default)
    for name in sorted(set(second) - set(chapters.SECOND_ENGINE_CHAPTERS)):
        remaining = iter(default[name])  # in order: each of the second's blocks is a later one of the default's
        extra = [code for code in second[name] if not any(code == ran for ran in remaining)]
        assert extra == [], f"docs/{name}.md as rendered for {SECOND_ENGINE} has blocks no test runs: {extra}"
        assert len(second[name]) >= len(default[name]) - 2, f"docs/{name}.md lost most of its blocks for {SECOND_ENGINE}"


def test_the_readme_names_only_commands_the_engine_runs(projects):
    """The project README's command table is the first thing a user copies from."""
    limits = engine_limits(projects[SECOND_ENGINE], SECOND_ENGINE)
    table = [line for line in (projects[SECOND_ENGINE] / "README.md").read_text().splitlines() if line.startswith("| `")]
    assert not [line for line in table for command in limits["cannot"] if command in line], table
