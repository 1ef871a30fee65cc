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
