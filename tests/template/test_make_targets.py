"""The project's make targets pass on what the user gives them (`make -n`: the commands, not run)."""
import json
import re
import subprocess

import pytest

from harness.bake import bake


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return bake(tmp_path_factory.mktemp("make-bake"))


def planned(project, *arguments) -> str:
    return subprocess.run(["make", "-n", *arguments], cwd=project, capture_output=True, text=True, check=True).stdout


def test_train_trains_on_the_dataset_the_user_names(project):
    assert "playbook train --run mine --dataset /data/datasets/mine" in planned(project, "train", "RUN=mine",
                                                                                  "DATASET=/data/datasets/mine")
    assert "playbook train --run demo --dataset /data/datasets/sample" in planned(project, "train")


def test_evaluate_uses_the_runs_own_test_set_unless_the_user_names_one(project):
    assert "--dataset" not in planned(project, "evaluate", "RUN=mine")
    assert "playbook evaluate --run mine --dataset /data/datasets/other" in planned(project, "evaluate", "RUN=mine",
                                                                                     "DATASET=/data/datasets/other")


def test_cloud_train_sends_the_users_dataset_and_budget_and_lets_skypilot_ask(project):
    launch = [line for line in planned(project, "cloud-train", "BUCKET=s3:b/speech", "RUN=big", "DATASET=/data/datasets/mine",
                                       "MAX_COST=20").splitlines() if "jobs launch" in line]
    assert len(launch) == 1 and "--yes" not in launch[0], launch
    for env in ("BUCKET=s3:b/speech", "RUN=big", "DATASET=mine", "MAX_COST=20"):
        assert f"--env {env} " in launch[0], (env, launch[0])
    assert "MAX_HOURS" not in launch[0]  # not given: the task's default (8) holds


def test_the_cloud_job_passes_its_dollar_budget_to_training(project):
    job = (project / "playbook" / "cloud" / "job.sh").read_text()
    task = (project / "playbook" / "cloud" / "train.sky.yaml").read_text()
    assert '--set max_cost="$MAX_COST"' in job and "MAX_COST: " in task and "-e MAX_COST" in task


def test_a_checkout_keeps_lf_line_endings_on_every_platform(project):
    """git's own reading of the project's .gitattributes: scripts stay LF even where core.autocrlf is on."""
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    attributes = subprocess.run(["git", "check-attr", "eol", "text", "--", "docker/playbook.sh", "Makefile",
                                 "docker/Dockerfile.cpu", "docs/images/augment-warp.png"],
                                cwd=project, capture_output=True, text=True, check=True).stdout
    for path in ("docker/playbook.sh", "Makefile", "docker/Dockerfile.cpu"):
        assert f"{path}: eol: lf" in attributes, attributes
    assert "docs/images/augment-warp.png: text: unset" in attributes, attributes


def test_finetune_and_import_take_the_release_and_its_alphabet(project):
    assert "playbook finetune --from ds-0.9.3 --run mine --dataset /data/datasets/mine --set epochs=3" in planned(
        project, "finetune", "FROM=ds-0.9.3", "RUN=mine", "DATASET=/data/datasets/mine", "EPOCHS=3")
    assert "--alphabet /data/runs/ds-0.9.3/alphabet.txt" in planned(
        project, "import", "SOURCE=/data/incoming/mine", "NAME=mine", "ALPHABET=/data/runs/ds-0.9.3/alphabet.txt")
    refused = subprocess.run(["make", "-s", "finetune", "FROM=ds-0.9.3"], cwd=project, capture_output=True, text=True)
    assert refused.returncode == 2 and "make finetune FROM=ds-0.9.3 RUN=mine DATASET=" in refused.stderr, refused.stderr
    launch = [line for line in planned(project, "cloud-train", "BUCKET=s3:b/speech", "FROM=ds-0.9.3").splitlines()
              if "jobs launch" in line]
    assert "--env FROM=ds-0.9.3 " in launch[0], launch
    task = (project / "playbook" / "cloud" / "train.sky.yaml").read_text()
    assert 'FROM: ""' in task and "-e FROM" in task


def test_the_cpu_image_is_amd64_wherever_it_is_built(project):
    """TensorFlow 1.15.4 has no arm64 wheel: on Apple Silicon the image must be amd64 (emulated), not a failed build."""
    dockerfile = (project / "docker" / "Dockerfile.cpu").read_text()
    froms = [line for line in dockerfile.splitlines() if line.startswith("FROM ")]
    assert froms and all(line.startswith("FROM --platform=linux/amd64 ") for line in froms), froms

    config = json.loads(re.sub(r"^\s*//.*$", "", (project / ".devcontainer" / "cpu" / "devcontainer.json").read_text(), flags=re.M))
    assert "--platform=linux/amd64" in config["runArgs"]
    assert "docker run -it --rm --platform linux/amd64 " in (project / "README.md").read_text()


def test_every_place_that_names_a_first_command_names_make_hello(project):
    """One first command (issue 27): the dev containers' Ready line, the chapters' index and the README's first
    session each name `make hello` before any other make target."""
    import json5
    places = {f".devcontainer/{variant}/devcontainer.json": json5.loads(
        (project / ".devcontainer" / variant / "devcontainer.json").read_text())["postCreateCommand"]
        for variant in ("cpu", "gpu") if (project / ".devcontainer" / variant).is_dir()}
    places["docs/README.md"] = (project / "docs" / "README.md").read_text()
    readme = (project / "README.md").read_text()
    places["README.md, its first session"] = readme[readme.index("Start with"):]
    for place, text in places.items():
        first = re.search(r"`make ([a-z-]+)", text)
        assert first and first.group(1) == "hello", f"{place} names `make {first.group(1) if first else '?'}` first"
