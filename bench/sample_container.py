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


# The two widths the speed benchmarks compare: the sample model, and a release-width one trained just enough to
# export (its weights are as good as random, which is fine for timing).
WIDTHS = {192: ("sample model, n_hidden 192", ["--run", "small", "--set", "epochs=12"]),
          2048: ("n_hidden 2048 (1 epoch, 8 utterances)", ["--run", "wide", "--set", "epochs=1", "--set", "n_hidden=2048",
                                                           "--dataset", "/data/datasets/tiny"])}


def exported_widths(box) -> list[tuple[int, str, dict]]:
    """Each of WIDTHS trained on the sample (the wide one on 8 utterances) and exported, quantised:
    (n_hidden, name, export's JSON)."""
    from harness import parsing
    box.run(["bash", "-c", "mkdir -p /data/datasets/tiny && cd /data/datasets/tiny && ln -s ../sample/wav wav "
                           "&& head -9 ../sample/train.csv > train.csv && head -4 ../sample/dev.csv > dev.csv "
                           "&& cp ../sample/alphabet.txt ."], "tiny dataset")
    exported = []
    for width, (name, arguments) in WIDTHS.items():
        box.run(["playbook", "train", *arguments], f"train {name}", stream=False)
        exported.append((width, name, parsing.last_json(box.run(["playbook", "export", "--run", arguments[1]], "export",
                                                                stream=False))))
    return exported
