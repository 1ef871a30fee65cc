"""What the benchmarks start from: the default bake's CPU image running on a fresh data volume
that holds the sample corpus. Run benchmarks as scripts (`python bench/NAME.py`): this folder
is then on the import path, and this module puts the repository there for `harness`."""
import sys
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from harness import docker_cli, images  # noqa: E402
from harness.bake import bake  # noqa: E402
from harness.container import ProjectContainer  # noqa: E402


@contextmanager
def sample_container(name: str):
    """Bake into .harness/<name>, build the CPU image, start it, `make sample`; yields the container."""
    docker_cli.require_daemon()
    project = bake(REPO / ".harness" / name, {})
    tag, _ = images.build_image(project, "cpu")
    with ProjectContainer(tag, project, project.name) as box:
        box.run(["make", "sample"], "sample")
        yield box
