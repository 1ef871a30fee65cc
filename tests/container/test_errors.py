"""Bad input gets one clear message and no traceback."""
import os
import subprocess
import sys

import pytest

from harness import base_images, docker_cli
from harness.bake import bake
from harness.log import HarnessError


def test_no_docker_daemon_says_how_to_start_one(tmp_path):
    env = {**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/no-such.sock"}
    result = subprocess.run([sys.executable, "-m", "harness", "run"], capture_output=True, text=True, env=env)
    assert result.returncode == 2
    assert "no Docker daemon answers" in result.stderr
    assert "dockerd" in result.stderr and "Traceback" not in result.stderr


def test_no_cpython_for_a_stand_in_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(HarnessError, match=r"no CPython 3\.7 was found under pyenv to build a stand-in; install one"):
        base_images.pyenv_python("3.7")


@pytest.mark.container
def test_unpullable_image_without_a_recipe_is_a_clear_error(docker_engine):
    with pytest.raises(HarnessError, match="cannot be pulled .* no stand-in recipe"):
        base_images.ensure("deepspeech-playbook.invalid/no-such-image:0")


@pytest.mark.container
def test_dockerfile_base_images_are_found(tmp_path):
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM python:3.7-slim-bookworm AS build\nFROM build\nFROM --platform=linux/arm64 debian:bookworm-slim\n")
    assert base_images.base_images(dockerfile) == ["python:3.7-slim-bookworm", "debian:bookworm-slim"]


@pytest.mark.container
@pytest.mark.parametrize("arguments, message", [
    (["/data/missing.wav"], "error: /data/missing.wav: no such file."),
    (["/etc/os-release"], "error: /etc/os-release is not a PCM WAV file"),
    ([], "error: give the audio files to transcribe, or --csv with a dataset's CSV."),
])
def test_transcribe_refuses_bad_files(cpu_image, arguments, message):
    result = subprocess.run([docker_cli.cli(), "run", "--rm", cpu_image, "playbook", "transcribe", "--model", "/data/none.tflite", *arguments],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.container
def test_make_transcribe_without_a_file_says_what_to_do(cpu_image, tmp_path):
    project = bake(tmp_path)
    result = subprocess.run([docker_cli.cli(), "run", "--rm", "-v", f"{project}:/workspaces/p:ro", "-w", "/workspaces/p", cpu_image,
                             "make", "transcribe"], capture_output=True, text=True)
    assert result.returncode == 2
    assert "error: say which audio to transcribe: make transcribe FILE=path/to/audio.wav" in result.stderr


@pytest.mark.container
def test_train_refuses_to_reuse_a_run_name(cpu_image, tmp_path):
    script = ("mkdir -p /data/runs/taken && echo '{}' > /data/runs/taken/run.json && "
              "playbook train --run taken; echo exit=$?; cat /data/runs/taken/run.json")
    result = subprocess.run([docker_cli.cli(), "run", "--rm", cpu_image, "sh", "-c", script], capture_output=True, text=True)
    assert "error: run 'taken' already exists in /data/runs/taken; continue it with `make resume RUN=taken`" in result.stderr
    assert "exit=2" in result.stdout and result.stdout.rstrip().endswith("{}"), "the existing run must be left as it was"


def test_a_data_folder_that_cannot_be_written_is_one_sentence(template_playbook, tmp_path, monkeypatch):
    import errno
    monkeypatch.setenv("PLAYBOOK_DATA", str(tmp_path / "data"))
    storage = template_playbook("playbook.storage")
    assert storage.problem(tmp_path / "data")[0] == f"the data folder {tmp_path / 'data'} does not exist"
    assert storage.problem(tmp_path) is None
    full = storage.describe_os_error(OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "x.ckpt")))
    assert full.startswith(f"no space left on {storage.mount_of(tmp_path)} (") and f"while writing {tmp_path / 'x.ckpt'}" in full
    assert "read-only file system" in storage.describe_os_error(OSError(errno.EROFS, "Read-only file system", "/data/x"))
    with pytest.raises(template_playbook("playbook.errors").UserError, match="does not exist; attach the data volume"):
        storage.require_writable()


def test_an_engine_traceback_becomes_one_line(template_playbook, tmp_path):
    process = template_playbook("playbook.training.process")
    held = ["Traceback (most recent call last):\n", '  File "x.py", line 1, in <module>\n',
            "tensorflow.python.framework.errors_impl.NotFoundError: /data/runs/r/checkpoints; No such file\n",
            "\n", "Original stack trace for 'save/SaveV2':\n", '  File "y.py", line 2\n']
    assert process._exception(held) == "tensorflow.python.framework.errors_impl.NotFoundError: /data/runs/r/checkpoints; No such file"
    kept = process._keep(tmp_path, "train", held)
    assert kept == tmp_path / "engine-train-error.log" and kept.read_text() == "".join(held)
