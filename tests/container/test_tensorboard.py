"""`make tensorboard` in the CPU image: TensorBoard serves the runs' summaries on the port the dev containers forward."""
import pytest

pytestmark = pytest.mark.container

SERVE_AND_ASK = """
mkdir -p /data/runs/one/checkpoints/summaries
make -s tensorboard > /tmp/tensorboard.log 2>&1 &
for _ in $(seq 120); do
  python -c "import urllib.request as u; print(u.urlopen('http://localhost:6006/data/logdir').read().decode())" 2>/dev/null && exit 0
  sleep 0.5
done
cat /tmp/tensorboard.log; exit 1
"""


def test_make_tensorboard_serves_the_runs_on_port_6006(docker_engine, cpu_image, tmp_path):
    from harness.bake import bake
    project = bake(tmp_path)
    result = docker_engine.docker("run", "--rm", "-v", f"{project}:/workspace:ro", "-w", "/workspace", cpu_image,
                                  "bash", "-c", SERVE_AND_ASK, check=False, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "/data/runs" in result.stdout.strip().splitlines()[-1], result.stdout
