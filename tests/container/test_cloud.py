"""The GPU-and-cloud pieces that run without a GPU or a cloud account: `playbook doctor`'s verdicts on a
machine that lacks things, a run pushed to a real S3 server (rclone's) and pulled into an empty volume that
resumes it, no credential anywhere it should not be, and the budget and idle-GPU arithmetic."""
import json
import secrets
import subprocess
import uuid

import docker
import pytest
from testcontainers.core.container import DockerContainer

from harness.container import HARNESS_LABEL
from harness.bake import bake


def _exec(container, command, user="stt", env=None):
    code, output = container.get_wrapped_container().exec_run(["bash", "-c", command], user=user, environment=env or {})
    return code, output.decode("utf-8", "replace")


@pytest.fixture()
def volumes():
    client, made = docker.from_env(), []

    def make():
        name = f"dsp-test-cloud-{uuid.uuid4().hex[:8]}"
        client.volumes.create(name, labels={HARNESS_LABEL: "data"})
        made.append(name)
        return name
    yield make
    for name in made:
        client.volumes.get(name).remove(force=True)


def _box(image, volume, **kwargs):
    return (DockerContainer(image).with_command(["sleep", "infinity"]).with_volume_mapping(volume, "/data", "rw")
            .with_kwargs(labels={HARNESS_LABEL: "container"}, **kwargs))


def _verdicts(report):
    return {check["check"]: check for check in report["checks"]}


@pytest.mark.container
def test_doctor_names_what_this_machine_lacks(cpu_image, volumes):
    """No NVIDIA driver, a 16 MB /dev/shm and a /data owned by another uid: each its own verdict, no traceback."""
    with _box(cpu_image, volumes(), shm_size="16m") as box:
        assert _exec(box, "chown 4242:4242 /data && chmod 755 /data", user="root")[0] == 0  # a folder of another user
        code, output = _exec(box, "playbook doctor --json 2>&1")
        assert code == 1 and "Traceback" not in output, output
        report = json.loads(output)
        checks = _verdicts(report)
        assert set(checks) == {"engine", "cpu", "nvidia_driver", "tensorflow", "shm", "data"}, checks
        assert checks["nvidia_driver"]["verdict"] == "ok" and "no NVIDIA driver" in checks["nvidia_driver"]["detail"]
        assert "training uses the CPU" in checks["nvidia_driver"]["detail"]
        assert checks["tensorflow"]["verdict"] == "ok" and "sees no GPU" in checks["tensorflow"]["detail"]
        assert checks["shm"]["verdict"] == "warn" and "16 MB" in checks["shm"]["detail"] and "--shm-size" in checks["shm"]["fix"]
        assert checks["data"]["verdict"] == "fail" and "uid 4242" in checks["data"]["detail"], checks["data"]
        assert "chown -R 1000 /data" in checks["data"]["fix"]
        assert checks["engine"]["verdict"] == checks["cpu"]["verdict"] == "ok"
        assert report["training_device"] == "cpu" and report["verdicts"]["fail"] == 1
        # The same machine as the GPU image sees it: no driver is a failure with its fix.
        code, output = _exec(box, "PLAYBOOK_IMAGE=gpu playbook doctor 2>&1")
        assert code == 1 and "Traceback" not in output
        assert "fail  nvidia_driver  no NVIDIA driver is visible" in output and "--gpus all" in output, output
        assert "training will use the CPU." in output


@pytest.mark.container
def test_a_cloud_job_on_the_users_dataset_survives_its_budget_a_preemption_and_a_disk_that_outlived_its_vm(
        cpu_image, volumes, docker_engine, tmp_path):
    """Journey (c), playbook/cloud/job.sh as the cloud route runs it, against rclone's S3 server, on the user's own
    dataset (imported, then pushed) with a dollar budget:
    1. machine A: the budget stops training after one epoch of three (exit 75); the run is pushed;
    2. machine B, an empty volume: the job pulls the run, continues it, and is preempted (its process group
       killed) after the second epoch, before any push: its disk is now ahead of the bucket;
    3. B restarted on that same disk: the pull keeps what is newer there, training continues 2 of 3 to the end,
       exports and pushes;
    4. A restarted on its old disk, which the bucket has moved past: the pull takes the bucket's newer run and the
       job trains nothing again.
    A plain pull still refuses to replace a local file that differs. The server's keys appear in no output, no file on
    either volume, no image layer."""
    job_folder = bake(tmp_path) / "playbook" / "cloud"
    client = docker.from_env()
    network = client.networks.create(f"dsp-test-cloud-{uuid.uuid4().hex[:8]}", labels={HARNESS_LABEL: "network"})
    key, secret = f"key{secrets.token_hex(8)}", f"secret{secrets.token_hex(16)}"
    remote = {"RCLONE_CONFIG_BUCKET_TYPE": "s3", "RCLONE_CONFIG_BUCKET_PROVIDER": "Rclone",
              "RCLONE_CONFIG_BUCKET_ENDPOINT": "http://bucket-server:8333", "RCLONE_CONFIG_BUCKET_FORCE_PATH_STYLE": "true",
              "RCLONE_CONFIG_BUCKET_ACCESS_KEY_ID": key, "RCLONE_CONFIG_BUCKET_SECRET_ACCESS_KEY": secret}
    job = {**remote, "BUCKET": "bucket:speech", "RUN": "moved", "DATASET": "mine", "EPOCHS": "3", "HOURLY_COST": "2",
           "MAX_COST": "10", "PUSH_EVERY": "3600"}
    outputs = []

    def run(box, command, expect=0, env=None):
        code, output = _exec(box, command, env=env or remote)
        outputs.append(output)
        assert code == expect, output[-3000:]
        return output

    def epochs(box):
        return len(run(box, "cat /data/runs/moved/epochs.jsonl").splitlines())

    def machine():
        return _box(cpu_image, volumes(), network=network.name).with_volume_mapping(str(job_folder), "/workspace/playbook/cloud")

    server = (DockerContainer(cpu_image).with_command(["rclone", "serve", "s3", "/tmp/bucket", "--addr", "0.0.0.0:8333",
                                                       "--auth-key", f"{key},{secret}"])
              .with_kwargs(network=network.name, hostname="bucket-server", labels={HARNESS_LABEL: "container"}))
    try:
        with server, machine() as first:
            run(first, "until rclone lsd bucket: >/dev/null 2>&1; do sleep 0.5; done; rclone mkdir bucket:speech")
            # The user's recordings, imported as docs/data.md shows and pushed as docs/cloud.md shows. A CSV set's audio in
            # the engine's format stays where it is unless copied, and such a dataset is not pushed without its audio.
            run(first, "playbook sample --out /tmp/recordings > /dev/null && playbook import csv /tmp/recordings --name elsewhere"
                       " > /dev/null")
            refused = run(first, "playbook sync push bucket:speech datasets/elsewhere 2>&1", 2)
            assert "error: sync push datasets/elsewhere: datasets/elsewhere/dev.csv line 2 names audio outside the dataset " \
                   "(/tmp/recordings/" in refused and "--copy-audio" in refused and "Traceback" not in refused, refused
            run(first, "playbook import csv /tmp/recordings --name mine --copy-audio > /dev/null && "
                       "playbook sync push bucket:speech datasets/mine > /dev/null")
            stopped = run(first, "bash /workspace/playbook/cloud/job.sh 2>&1", 75, {**job, "MAX_COST": "0.00002"})
            assert "max_cost 2e-05 reached" in stopped and "training will use the CPU." in stopped, stopped[-2000:]
            pushed_step = json.loads(run(first, "playbook runs --json"))[0]["last_step"]
            with machine() as second:
                assert run(second, "ls -A /data").strip() == ""
                # Preempted as a spot VM is: the whole process group killed at once, after epoch 2, before any push.
                run(second, "setsid bash /workspace/playbook/cloud/job.sh > /tmp/job.log 2>&1 & job=$!; "
                            "until [ \"$(grep -c train_loss /data/runs/moved/epochs.jsonl 2>/dev/null)\" = 2 ]; do sleep 0.5; "
                            "kill -0 $job 2>/dev/null || { tail -n 20 /tmp/job.log; exit 3; }; done; kill -KILL -- -$job", env=job)
                assert "continuing run 'moved' from step {}: 1 of 3 epochs done, 2 to go.".format(pushed_step) \
                    in run(second, "cat /tmp/job.log")
                ahead_step = json.loads(run(second, "playbook runs --json"))[0]["last_step"]
                assert ahead_step > pushed_step and epochs(second) == 2
                resumed = run(second, "bash /workspace/playbook/cloud/job.sh 2>&1", 0, job)
                assert f"continuing run 'moved' from step {ahead_step}: 2 of 3 epochs done, 1 to go." in resumed, resumed[-2000:]
                starts = [json.loads(line) for line in run(second, "cat /data/runs/moved/invocations.jsonl").splitlines()
                          if '"start"' in line and '"train"' in line]
                assert [s["start_step"] for s in starts] == [None, pushed_step, ahead_step], starts
                assert json.loads(run(second, "playbook runs --json"))[0]["epochs"] == 3
                assert json.loads(run(second, "cat /data/runs/moved/run.json"))["dataset"] == "/data/datasets/mine"
                config = run(second, "cat /data/runs/moved/config.toml")
                assert "max_cost = 10.0" in config and "hourly_cost = 2.0" in config, config
                # No GPU here: training recorded no GPU use and said nothing about it.
                assert run(second, "ls /data/runs/moved").split().count("gpu.jsonl") == 0 and "GPU was idle" not in resumed
                listed = run(second, "rclone lsf -R bucket:speech/exports")
                assert "output_graph.tflite" in listed, listed
                # A plain pull refuses to replace a local file that differs; --update keeps one newer here.
                run(second, "echo mine > /data/runs/moved/alphabet.txt")
                refused = run(second, "playbook sync pull bucket:speech runs/moved 2>&1", 2)
                assert "error: sync pull runs/moved: runs/moved/alphabet.txt here differs from the bucket's copy and is kept; move it " \
                       "away to take the bucket's, or pull with --update" in refused and "Traceback" not in refused, refused
                run(second, "playbook sync pull --update bucket:speech runs/moved")
                assert run(second, "cat /data/runs/moved/alphabet.txt").strip() == "mine"
                code, found = _exec(second, f"grep -rl -e {key} -e {secret} /data /home/stt", user="root")
                assert code == 1 and found == "", f"credentials written to {found}"
            # Machine A again, on the disk it had: the bucket has moved past it.
            assert epochs(first) == 1
            restarted = run(first, "bash /workspace/playbook/cloud/job.sh 2>&1", 0, job)
            assert "run 'moved' has trained 3 of its 3 epochs; nothing to do." in restarted, restarted[-2000:]
            assert epochs(first) == 3 and json.loads(run(first, "playbook runs --json"))[0]["last_step"] > ahead_step
            assert "output_graph.tflite" in run(first, "ls -R /data/exports/moved")
            code, found = _exec(first, f"grep -rl -e {key} -e {secret} /data /home/stt", user="root")
            assert code == 1 and found == "", f"credentials written to {found}"
    finally:
        network.remove()
    assert not any(key in text or secret in text for text in outputs), "a command printed the server's keys"
    saved = subprocess.run(f"{docker_engine.cli()} save {cpu_image} | grep -c -a -e {key} -e {secret}", shell=True,
                           capture_output=True, text=True, env=docker_engine.env())
    assert saved.stdout.strip() == "0", "the image holds the keys"


def test_budget_counts_every_invocation_including_killed_ones(template_playbook, tmp_path):
    budget = template_playbook("playbook.training.budget")
    run = tmp_path / "run"
    run.mkdir()
    (run / "invocations.jsonl").write_text("\n".join(json.dumps(e) for e in [
        {"event": "start", "invocation": "a", "time": "2026-01-01T00:00:00Z", "engine_phase": "train"},
        {"event": "end", "invocation": "a", "time": "2026-01-01T01:00:00Z", "seconds": 3600.0},
        {"event": "start", "invocation": "b", "time": "2026-01-01T02:00:00Z", "engine_phase": "train"},  # killed
        {"event": "start", "invocation": "c", "time": "2026-01-01T05:00:00Z", "engine_phase": "export"},
    ]) + "\n")
    (run / "epochs.jsonl").write_text("\n".join(json.dumps(e) for e in [
        {"epoch": 0, "invocation": "a", "time": "2026-01-01T00:30:00Z"},
        {"epoch": 1, "invocation": "b", "time": "2026-01-01T02:15:00Z"},
        {"epoch": 2, "invocation": "b", "time": "2026-01-01T02:30:00Z"},
    ]) + "\n")
    assert budget.hours_used(run) == pytest.approx(1.5)
    config = {"max_hours": 2.0, "hourly_cost": 3.0, "max_cost": 0.0}
    assert budget.spent(config, 1.5) is None and "max_hours 2.0 reached" in budget.spent(config, 2.0)
    config = {"max_hours": 0.0, "hourly_cost": 3.0, "max_cost": 4.0}
    assert "max_cost 4.0 reached" in budget.spent(config, 1.5) and budget.spent(config, 1.0) is None
    with pytest.raises(budget.BudgetStop, match="raise the budget"):
        budget.require_left(run, {"max_hours": 1.0, "hourly_cost": 0.0, "max_cost": 0.0}, budget.hours_used(run))
    from playbook.errors import UserError
    with pytest.raises(UserError, match="max_cost = 4.0 needs hourly_cost"):
        budget.check({"max_hours": 0.0, "hourly_cost": 0.0, "max_cost": 4.0})


def test_an_idle_epoch_is_named_with_what_to_change(template_playbook):
    gpu = template_playbook("playbook.machine.gpu")
    busy = [{"gpu": 0, "utilization": u} for u in (95, 90, 5, 88)]
    starved = [{"gpu": 0, "utilization": u} for u in (3, 0, 2, 60, 1)]
    assert gpu.idle_warning(2, busy) is None and gpu.idle_warning(2, []) is None
    warning = gpu.idle_warning(3, starved)
    assert "idle in 80% of epoch 3 (mean utilisation 13%)" in warning and "feature_cache" in warning


@pytest.mark.parametrize("driver, cuda, names, verdict", [
    ("535.104.05", (12, 2), ["NVIDIA GeForce RTX 3090"], "ok"),
    ("525.85.12", (12, 0), ["Tesla T4"], "ok"),          # forward compatibility on a data-center GPU
    ("525.85.12", (12, 0), ["NVIDIA GeForce RTX 3090"], "fail"),
    ("520.61.05", (11, 8), ["NVIDIA A100-SXM4-40GB"], "fail"),  # R520 is not forward-compatible
])
def test_driver_verdicts_follow_nvidia_s_notes(template_playbook, driver, cuda, names, verdict):
    doctor = template_playbook("playbook.machine.doctor")
    assert doctor.driver_check(driver, cuda, names)["verdict"] == verdict


@pytest.mark.parametrize("capability, verdict", [((3, 7), "fail"), ((6, 0), "ok"), ((8, 6), "ok"), ((9, 0), "warn")])
def test_compute_capability_verdicts(template_playbook, capability, verdict):
    doctor = template_playbook("playbook.machine.doctor")
    gpu = {"index": 0, "name": "GPU", "memory_gb": 24.0, "capability": capability}
    assert doctor.gpu_check(gpu)["verdict"] == verdict
