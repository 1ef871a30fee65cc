"""The baked CPU config comes up under the Dev Containers CLI (the code path VS Code uses)
with /data on a named volume writable by the non-root user, and the shm size it asks for."""
import json
import subprocess
import uuid

import pytest

from harness import base_images
from harness.bake import bake

pytestmark = [pytest.mark.container, pytest.mark.devcontainer]


@pytest.fixture(scope="module")
def devcontainer(docker_engine, devcontainer_cli, tmp_path_factory):
    slug = f"dc-test-{uuid.uuid4().hex[:8]}"
    project = bake(tmp_path_factory.mktemp("dc"), {"project_slug": slug, "gpu_devcontainer": False})
    for image in base_images.base_images(project / "docker/Dockerfile.cpu"):
        base_images.ensure(image)
    config = project / ".devcontainer/cpu/devcontainer.json"
    label = f"org.deepspeech-playbook.test={slug}"
    common = ["--workspace-folder", str(project), "--config", str(config), "--id-label", label]
    up = subprocess.run([devcontainer_cli, "up", *common], capture_output=True, text=True, timeout=1800)
    result = json.loads(up.stdout.strip().splitlines()[-1]) if up.stdout.strip() else {}
    container_id = result.get("containerId")
    try:
        assert up.returncode == 0 and result.get("outcome") == "success", up.stderr[-3000:]

        def exec_(script: str) -> subprocess.CompletedProcess:
            return subprocess.run([devcontainer_cli, "exec", *common, "sh", "-c", script], capture_output=True, text=True, timeout=300)

        inspect = json.loads(docker_engine.docker("inspect", container_id).stdout)[0]
        yield {"slug": slug, "result": result, "inspect": inspect, "exec": exec_}
    finally:
        if container_id:
            docker_engine.docker("rm", "-f", container_id, check=False)
        # `up` tags vsc-<folder>-<hash> and, for a non-root remoteUser, a -uid image on top of it.
        images = docker_engine.docker("images", "--format", "{{.Repository}}", check=False).stdout.split()
        for image in (i for i in images if i.startswith(f"vsc-{slug}-")):
            docker_engine.docker("rmi", image, check=False)
        docker_engine.docker("volume", "rm", f"{slug}-data", check=False)


def test_data_is_a_named_volume(devcontainer):
    mounts = {m["Destination"]: m for m in devcontainer["inspect"]["Mounts"]}
    assert mounts["/data"]["Type"] == "volume"
    assert mounts["/data"]["Name"] == f"{devcontainer['slug']}-data"
    assert mounts["/data"]["RW"] is True


def test_shm_size_is_applied(devcontainer):
    assert devcontainer["inspect"]["HostConfig"]["ShmSize"] == 2 * 1024 ** 3


def test_remote_user_is_non_root_and_owns_data(devcontainer):
    assert devcontainer["result"]["remoteUser"] == "stt"
    out = devcontainer["exec"]("id -un; stat -c %U /data; touch /data/probe && echo writable; df -h /dev/shm | tail -1")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.split("\n")
    assert lines[0] == "stt" and lines[1] == "stt" and lines[2] == "writable", out.stdout
    assert " 2.0G " in lines[3], out.stdout


def test_starter_commands_resolve_to_the_workspace(devcontainer):
    out = devcontainer["exec"]("cd $PYTHONPATH && python -c 'import playbook, os; print(os.path.dirname(playbook.__file__))'"
                               " && make -s help | head -1")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == f"/workspaces/{devcontainer['slug']}/playbook", out.stdout
    assert "Starter commands" in out.stdout
