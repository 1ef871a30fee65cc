import os
import shutil

import pytest

os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")

# CI sets this: a container test that cannot run there must fail, not skip.
REQUIRE_CONTAINERS = os.environ.get("PLAYBOOK_REQUIRE_CONTAINERS") == "1"


def _unavailable(reason: str):
    if REQUIRE_CONTAINERS:
        pytest.fail(f"{reason} (PLAYBOOK_REQUIRE_CONTAINERS=1: container tests must run here)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def unavailable():
    """Skip (or, where CI requires the container tests, fail) naming what could not run and why."""
    return _unavailable


@pytest.fixture(scope="session")
def docker_engine():
    from harness import docker_cli
    from harness.log import HarnessError
    try:
        docker_cli.require_daemon()
    except HarnessError as error:
        _unavailable(str(error))
    return docker_cli


@pytest.fixture(scope="session")
def devcontainer_cli():
    path = shutil.which("devcontainer")
    if path is None:
        _unavailable("the Dev Containers CLI is not installed (npm install -g @devcontainers/cli)")
    return path


@pytest.fixture(scope="session")
def cpu_image(docker_engine, tmp_path_factory):
    """The default bake's CPU image, built as the harness builds it."""
    from harness.bake import bake
    from harness.endtoend import build_image
    project = bake(tmp_path_factory.mktemp("image-bake"))
    tag, _ = build_image(project, "cpu")
    return tag


@pytest.fixture(scope="session")
def deepspeech_image(docker_engine, tmp_path_factory):
    """The CPU image of a bake with engine=deepspeech-training (DeepSpeech 0.9.3 from its source archive)."""
    from harness.bake import ENGINES, bake
    from harness.endtoend import build_image
    project = bake(tmp_path_factory.mktemp("deepspeech-bake"), ENGINES["deepspeech-training"])
    tag, _ = build_image(project, "cpu")
    return tag, project


@pytest.fixture()
def template_playbook(monkeypatch):
    """Import the template's own `playbook` package afresh (so settings read this test's environment)."""
    import importlib
    import sys

    from harness.bake import TEMPLATE

    monkeypatch.syspath_prepend(str(TEMPLATE / "{{cookiecutter.project_slug}}"))
    for name in [m for m in sys.modules if m == "playbook" or m.startswith("playbook.")]:
        monkeypatch.delitem(sys.modules, name)
    return importlib.import_module
