import os
import shutil
import time

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
    from harness.images import build_image
    project = bake(tmp_path_factory.mktemp("image-bake"))
    tag, _ = build_image(project, "cpu")
    return tag


@pytest.fixture(scope="session")
def deepspeech_image(docker_engine, tmp_path_factory):
    """The CPU image of a bake with engine=deepspeech-training (DeepSpeech 0.9.3 from its source archive)."""
    from harness.bake import ENGINES, bake
    from harness.images import build_image
    project = bake(tmp_path_factory.mktemp("deepspeech-bake"), ENGINES["deepspeech-training"])
    tag, _ = build_image(project, "cpu")
    return tag, project


@pytest.fixture()
def data_root(tmp_path, monkeypatch):
    """An empty data folder as PLAYBOOK_DATA: attached, as the data volume is, not made by the commands."""
    monkeypatch.setenv("PLAYBOOK_DATA", str(tmp_path / "data"))
    (tmp_path / "data").mkdir(exist_ok=True)
    return tmp_path / "data"


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


# --- Order, lanes and the time table -------------------------------------------------------------------------
# `make test` runs the suite in two lanes side by side (pytest-xdist: -n 2 --dist loadgroup --no-loadscope-reorder).
# A training of the sample model keeps about one core busy (one thread per op is its fastest, see bench/README.md's
# ttfhw section), so on a 2-core machine two lanes of container work take little longer each than one alone.
# Host tests come first, so that they fail in the first minute; then each lane's container work, in the order
# below, a module (or one engine's half of it) staying whole in one lane, so that its module fixtures run once.
# Balanced by the measured seconds of a fresh run (CONTRIBUTING.md, "Tests").
LANES = {
    "first": ["test_chapters", "test_endtoend", "test_devcontainer_up", "test_cloud", "test_checkpoints", "test_faults",
              "test_kenlm_image", "test_login_shell", "test_harness_container", "test_errors", "test_augment", "test_gpu",
              "test_system_packages", "test_tensorboard", "test_search"],
    # The deepspeech-training image's users: one build of it while the first lane builds the default engine's; then
    # the journeys, on the default engine's image, which the first lane has built by then.
    "second": ["test_endtoend[deepspeech-training]", "test_release_checkpoint", "test_chapters[deepspeech-training]",
               "test_journeys"],
}
CONTAINER_MARKS = ("container", "devcontainer", "gpu")


def stage_of(item_or_nodeid) -> str:
    """The module, with `[deepspeech-training]` for the tests that run under the second engine."""
    nodeid = getattr(item_or_nodeid, "nodeid", item_or_nodeid).split("@")[0]
    module = nodeid.split("::")[0].rsplit("/", 1)[-1].removesuffix(".py")
    return module + ("[deepspeech-training]" if "deepspeech" in nodeid.split("::", 1)[-1] else "")


def _lane_position(stage: str) -> tuple[str, int]:
    """A stage's lane and place in it; one not named goes where its module's other engine is, else last in the second."""
    for name in (stage, stage.split("[")[0]):
        for lane, stages in LANES.items():
            if name in stages:
                return lane, stages.index(name)
    return "second", len(LANES["second"])


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(config, items):
    def is_container(item):
        return any(item.get_closest_marker(mark) for mark in CONTAINER_MARKS)

    # A test that reaches Docker through its fixtures but lacks the mark would run among the host tests, in the
    # other lane too, and start a second copy of a lane's module fixture beside the first.
    unmarked = [item.nodeid for item in items if "docker_engine" in item.fixturenames and not is_container(item)]
    if unmarked:
        raise pytest.UsageError("these tests use Docker through their fixtures but are not marked container: "
                                + ", ".join(unmarked))
    host = [item for item in items if not is_container(item)]
    container = [item for item in items if is_container(item)]
    placed = {item: _lane_position(stage_of(item)) for item in container}
    lanes = list(LANES)
    # Stable: the lanes interleaved by position, so that each worker takes its lane's heaviest stage first.
    container.sort(key=lambda item: (placed[item][1], lanes.index(placed[item][0])))
    for item in container:
        item.add_marker(pytest.mark.xdist_group(placed[item][0]))
    items[:] = host + container


@pytest.hookimpl(trylast=True)  # after xdist has named each grouped test's lane in its node id
def pytest_collection_finish(session):
    if session.config.getoption("loadgroup", False) and \
            any(item.get_closest_marker("xdist_group") and "@" not in item.nodeid for item in session.items):
        raise pytest.UsageError("pytest-xdist did not keep the lanes together with this pytest (see pyproject.toml's pin): "
                                "a lane's module fixtures would run twice at once.")


SESSION_STARTED = []


def pytest_sessionstart(session):
    SESSION_STARTED.append(time.monotonic())


def pytest_terminal_summary(terminalreporter):
    """Seconds per stage (setup + call + teardown of its tests) and per worker, printed and kept in reports/."""
    import json
    from collections import defaultdict

    from harness.paths import REPO

    if hasattr(terminalreporter.config, "workerinput"):
        return  # an xdist worker: the controller has every worker's reports and writes the table once
    stages = defaultdict(lambda: {"tests": 0, "seconds": 0.0, "lane": "-"})
    workers = defaultdict(float)
    for reports in terminalreporter.stats.values():
        for report in reports:
            if getattr(report, "when", None) not in ("setup", "call", "teardown"):
                continue
            stage = stages[stage_of(report.nodeid)]
            stage["seconds"] += report.duration
            stage["tests"] += report.when == "call" or (report.when == "setup" and report.outcome != "passed")
            if "@" in report.nodeid:  # a container test's lane, under xdist
                stage["lane"] = report.nodeid.split("@")[1]
            node = getattr(report, "node", None)  # the xdist worker
            workers[node.gateway.id if node is not None else "main"] += report.duration
    if not stages:
        return
    wall = time.monotonic() - SESSION_STARTED[0] if SESSION_STARTED else None
    rows = sorted(stages.items(), key=lambda kv: -kv[1]["seconds"])
    terminalreporter.section("seconds per stage (setup + call + teardown)")
    terminalreporter.write_line(f"{'stage':45} {'lane':>6} {'tests':>5} {'seconds':>8}")
    for name, stage in rows:
        terminalreporter.write_line(f"{name:45} {stage['lane']:>6} {stage['tests']:>5} {stage['seconds']:8.1f}")
    terminalreporter.write_line("busy seconds per worker: " + ", ".join(f"{worker} {seconds:.0f} s" for worker, seconds in sorted(workers.items()))
                                + (f"; wall clock {wall:.0f} s" if wall else ""))
    (REPO / "reports").mkdir(exist_ok=True)
    (REPO / "reports" / "test-times.json").write_text(json.dumps(
        {"stages": {name: {**stage, "seconds": round(stage["seconds"], 1)} for name, stage in rows},
         "workers": {worker: round(seconds, 1) for worker, seconds in workers.items()}, "wall_seconds": wall and round(wall, 1)}, indent=2) + "\n")
