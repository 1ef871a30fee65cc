"""The project's make targets pass on what the user gives them (`make -n`: the commands, not run)."""
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
