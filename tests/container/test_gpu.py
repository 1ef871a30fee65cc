"""The GPU variant: built and run only where an NVIDIA runtime and NVIDIA's registry are available."""
import json

import pytest

from harness import base_images
from harness.bake import ENGINES, bake
from harness.log import HarnessError

GPU_BASE = "nvcr.io/nvidia/tensorflow:23.03-tf1-py3"


@pytest.mark.container
@pytest.mark.parametrize("engine", ENGINES)
def test_gpu_dockerfile_parses(docker_engine, tmp_path, engine):
    """BuildKit parses every instruction before it resolves images, so asking for a stage that does not
    exist proves the file parses without reaching NVIDIA's registry (a parse error would come first)."""
    project = bake(tmp_path, {"gpu_devcontainer": True, "engine": engine})
    result = docker_engine.docker("build", "--target", "no-such-stage", "-f", str(project / "docker/Dockerfile.gpu"),
                                  str(project), check=False)
    assert result.returncode != 0
    assert "target stage no-such-stage could not be found" in result.stderr, result.stderr[-2000:]


@pytest.fixture(scope="module")
def nvidia_engine(docker_engine):
    runtimes = json.loads(docker_engine.docker("info", "--format", "{{json .Runtimes}}").stdout or "{}")
    if "nvidia" not in runtimes:
        pytest.skip(f"no GPU here: the Docker engine has no 'nvidia' runtime (it has: {', '.join(sorted(runtimes))}), "
                    "so `--gpus all` cannot start the GPU dev container")
    try:
        base_images.ensure(GPU_BASE)
    except HarnessError as error:
        pytest.skip(f"{GPU_BASE} is not available and has no stand-in: {error}")
    return docker_engine


@pytest.mark.container
@pytest.mark.gpu
def test_gpu_image_sees_the_gpu_and_exports(nvidia_engine, tmp_path):
    project = bake(tmp_path, {"gpu_devcontainer": True})
    tag = f"deepspeech-playbook/{project.name}:gpu"
    nvidia_engine.build(project, project / "docker/Dockerfile.gpu", tag)
    out = nvidia_engine.docker("run", "--rm", "--gpus", "all", tag, "sh", "-c",
                               "nvidia-smi -L && python -c 'import tensorflow as tf; print(tf.test.is_gpu_available())'"
                               " && /opt/tflite-venv/bin/python -c 'import tensorflow as tf; print(tf.lite.TFLiteConverter)'")
    assert "GPU 0" in out.stdout and "True" in out.stdout
    # doctor's verdict, and a short training that uses the GPU and records its use.
    doctor = nvidia_engine.docker("run", "--rm", "--gpus", "all", "--shm-size=8g", tag, "playbook", "doctor", "--json")
    report = json.loads(doctor.stdout)
    assert report["training_device"] == "gpu" and report["verdicts"]["fail"] == 0, doctor.stdout
    trained = nvidia_engine.docker("run", "--rm", "--gpus", "all", "--shm-size=8g", tag, "bash", "-c",
                                   "playbook sample >/dev/null && playbook train --run gpu --set epochs=2 >/dev/null"
                                   " && wc -l < /data/runs/gpu/gpu.jsonl && ls /data/runs/gpu/gpu.png")
    assert int(trained.stdout.split()[0]) > 0 and "gpu.png" in trained.stdout, trained.stdout
