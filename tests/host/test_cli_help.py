"""`playbook --help` and every command's help: the text a user reads stays as it was written.

playbook-help.txt holds each command's `--help` (COLUMNS=100), kept from before the commands moved into
their stages' folders (issue 26), changed since only where a command gained something (issue 27: `runs rm`,
`import --copy-audio`, `sync --update`, `finetune`/`transfer --resume-if-exists`, the new `download-release`; issue 28: the new `live`, `--xnnpack` on `transcribe`, `live` and `decoder-parity`; issue 29: the new `web-export` and `web-serve`; issue 30: `search --storage`, `--worker`, `--space`, `--push`, `--report`, the new `shards`).
The top-level help is compared by content: every command and its line, whatever the order and grouping (it
lists them once, by stage, where it listed them twice before).
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

GOLDEN = Path(__file__).with_name("playbook-help.txt")
SEPARATOR = re.compile(r"^=== playbook (\S+) --help ===$", re.M)


def golden() -> dict[str, str]:
    parts = SEPARATOR.split(GOLDEN.read_text(encoding="utf-8"))
    return {command: text.strip("\n") for command, text in zip(parts[1::2], parts[2::2])}


def playbook_help(project: Path, *command: str) -> str:
    result = subprocess.run([sys.executable, "-m", "playbook", *command, "--help"], cwd=project, capture_output=True,
                            text=True, env={**os.environ, "COLUMNS": "100"}, check=True)
    # argparse named this heading "optional arguments:" before Python 3.10.
    return result.stdout.replace("optional arguments:", "options:").strip("\n")


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    from harness.bake import bake
    return bake(tmp_path_factory.mktemp("help-bake"))


@pytest.mark.parametrize("command", sorted(golden()))
def test_each_command_help_is_unchanged(project, command):
    assert playbook_help(project, command) == golden()[command]


def test_top_level_help_names_every_command_with_its_line(project):
    text = playbook_help(project)
    lines = {" ".join(line.split()) for line in text.splitlines()}
    for command in golden():
        assert any(line.startswith(command + " ") for line in lines), f"{command} is missing from `playbook --help`"
    assert text.startswith("usage: playbook [-h] COMMAND ...")
