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
        box.project = project  # for benchmarks that build the project's other images
        box.run(["make", "sample"], "sample")
        yield box


# The two widths the speed benchmarks compare: the sample model, and the release's width with real text: the sample
# model embedded in a checkpoint of DeepSpeech 0.9.3's release shape (harness/release_shaped.py), which computes
# what the sample model does at the release's size and cost.
SAMPLE_MODEL = "sample model, n_hidden 192"
WIDE_MODEL = "n_hidden 2048 (the sample model, release-shaped)"


def exported_widths(box) -> list[tuple[int, str, dict]]:
    """Both widths trained (12 epochs on the sample), imported and exported, quantised: (n_hidden, name, export's
    JSON)."""
    from harness import parsing, release_shaped
    box.run(["playbook", "train", "--run", "small", "--set", "epochs=12"], f"train {SAMPLE_MODEL}", stream=False)
    small = parsing.last_json(box.run(["playbook", "export", "--run", "small"], "export", stream=False))
    release_shaped.make(box, f"/data/runs/small/checkpoints/{small['checkpoint']}", "/data/incoming/release-shaped")
    box.run(["playbook", "import-checkpoint", "/data/incoming/release-shaped", "--name", "wide"], "import", stream=False)
    wide = parsing.last_json(box.run(["playbook", "export", "--run", "wide"], "export", stream=False))
    return [(192, SAMPLE_MODEL, small), (release_shaped.WIDTH, WIDE_MODEL, wide)]
