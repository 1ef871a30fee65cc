"""Checkpoint safety in the container: a run killed mid-epoch resumes from its last saved
checkpoint, and checkpoints that do not fit are refused before TensorFlow starts."""
import json
import time

import pytest

from harness.bake import bake
from harness.container import ProjectContainer

pytestmark = pytest.mark.container


KILL_IN_EPOCH_3 = r"""
nohup playbook train --run killed --set epochs=40 --set checkpoint_secs=1 > /data/killed.log 2>&1 &
state=/data/runs/killed/checkpoints/checkpoint
step() { sed -n 's/^model_checkpoint_path: ".*train-\([0-9]*\)"$/\1/p' "$state" 2>/dev/null; }
until [ "$(cat /data/runs/killed/epochs.jsonl 2>/dev/null | wc -l)" -ge 2 ]; do sleep 0.05; done
start=$(step)   # the checkpoint saved at the end of epoch 2
[ -n "$start" ] || { echo "no checkpoint named in $state when epoch 3 started"; exit 1; }
until [ "$(step)" -gt "$start" ]; do sleep 0.05; done
pkill -KILL -f 'coqui_stt_trainin[g]\.train'   # [g]: the pattern must not match this script's own command line
echo "killed at step $(step); epoch 3 started at step $start"
"""


def _invocations(box, run):
    text = box.run(["cat", f"/data/runs/{run}/invocations.jsonl"], "log", stream=False)
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def killed(cpu_image, tmp_path_factory):
    project = bake(tmp_path_factory.mktemp("kill"))
    with ProjectContainer(cpu_image, project, project.name) as box:
        box.run(["make", "sample"], "sample", stream=False)
        # Killed the moment epoch 3's first in-epoch checkpoint (checkpoint_secs=1) is saved: the watcher polls
        # inside the container every 50 ms, so the kill lands within the epoch however fast the machine is (a
        # fixed sleep after the epoch started could outlast a short epoch).
        watcher = box.run(["timeout", "300", "bash", "-c", KILL_IN_EPOCH_3], "train+kill", stream=False, check=False)
        assert "killed at step" in watcher, watcher + box.run(["tail", "-20", "/data/killed.log"], "log", stream=False)
        time.sleep(1.0)
        log_text = box.run(["cat", "/data/killed.log"], "log", stream=False)
        state = box.run(["cat", "/data/runs/killed/checkpoints/checkpoint"], "state", stream=False)
        saved_step = int(state.split('"')[1].rsplit("-", 1)[1])
        evaluation = box.run(["playbook", "evaluate", "--run", "killed", "--checkpoint", "last"], "evaluate", stream=False)
        resume = box.run(["playbook", "resume", "--run", "killed", "--epochs", "1"], "resume", stream=False)
        files = box.run(["bash", "-c", "cd /data/runs/killed && find . -maxdepth 2 -type f -size +0 | sort"], "ls", stream=False)
        mismatch = {
            "n_hidden": box.run(["bash", "-c", "playbook finetune --from killed --run wrong-width --dataset /data/datasets/sample "
                                               "--set n_hidden=64; echo exit=$?"], "mismatch", stream=False),
            "alphabet": box.run(["bash", "-c", "playbook sample --digits --out /data/datasets/digits > /dev/null && "
                                               "playbook finetune --from killed --run wrong-alphabet --dataset /data/datasets/digits; "
                                               "echo exit=$?"], "mismatch", stream=False),
            "runs": box.run(["ls", "/data/runs"], "ls", stream=False).split(),
        }
        yield {"files": files.split(), "log": log_text, "saved_step": saved_step, "evaluation": evaluation, "resume": resume,
               "invocations": _invocations(box, "killed"), "mismatch": mismatch}


def test_the_run_was_killed_in_the_middle_of_an_epoch(killed):
    assert "epoch 2 of 40: train loss" in killed["log"]
    assert "epoch 3 of 40: train loss" not in killed["log"]
    assert "failed with exit code -9" in killed["log"]


def test_the_last_checkpoint_is_intact(killed):
    assert '"checkpoint": "train-{}"'.format(killed["saved_step"]) in killed["evaluation"]
    assert '"wer":' in killed["evaluation"]


def test_resume_continues_from_the_last_saved_step(killed):
    starts = [i for i in killed["invocations"] if i["event"] == "start"]
    ends = [i for i in killed["invocations"] if i["event"] == "end"]
    assert [s["command"].split()[1] for s in starts] == ["train", "evaluate", "resume"]
    assert ends[0]["exit_code"] == -9 and ends[0]["end_step"] == killed["saved_step"]
    resumed = starts[2]
    assert resumed["start_step"] == killed["saved_step"]
    resumed_end = next(e for e in ends if e["invocation"] == resumed["invocation"])
    assert resumed_end["exit_code"] == 0
    # One epoch of the sample is 27 steps: 222 utterances in batches of 8, the last partial batch dropped.
    assert resumed_end["end_step"] == killed["saved_step"] + 27
    print(f"killed mid-epoch at step {killed['saved_step']}; resume started at {resumed['start_step']}, "
          f"ended at {resumed_end['end_step']}")


def test_wrong_width_is_refused_in_one_sentence(killed):
    out = killed["mismatch"]["n_hidden"]
    assert "error: run 'killed' was trained with n_hidden 192, not 64: checkpoints only load into the same width" in out
    assert "exit=2" in out and "Traceback" not in out and "tensorflow" not in out.lower()


def test_wrong_alphabet_is_refused_in_one_sentence(killed):
    out = killed["mismatch"]["alphabet"]
    assert "error: the new alphabet has 38 labels and run 'killed' has 28: fine-tuning needs the same alphabet, " \
           "so use `playbook transfer`" in out
    assert "exit=2" in out and "Traceback" not in out


def test_refused_runs_leave_nothing_behind(killed):
    assert killed["mismatch"]["runs"] == ["killed"]


def test_the_run_folder_holds_its_record(killed):
    for name in ("./config.toml", "./run.json", "./alphabet.txt", "./invocations.jsonl", "./epochs.jsonl", "./loss.png",
                 "./checkpoints/checkpoint", "./checkpoints/best_dev_checkpoint", "./checkpoints/flags.txt"):
        assert name in killed["files"], name
    assert any(f.startswith("./checkpoints/summaries/") or f.startswith("./kept/") for f in killed["files"])
