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
    # The harness's own CLI, not whichever `docker` is first on PATH (a static one may lack buildx).
    common = ["--workspace-folder", str(project), "--config", str(config), "--id-label", label, "--docker-path", docker_engine.cli()]
    # BuildKit, as the harness builds: the image comes from the same build cache instead of a second build.
    up = subprocess.run([devcontainer_cli, "up", *common], capture_output=True, text=True, timeout=1800, env=docker_engine.env())
    result = json.loads(up.stdout.strip().splitlines()[-1]) if up.stdout.strip() else {}
    container_id = result.get("containerId")
    try:
        assert up.returncode == 0 and result.get("outcome") == "success", up.stderr[-3000:]

        def exec_(script: str) -> subprocess.CompletedProcess:
            return subprocess.run([devcontainer_cli, "exec", *common, "sh", "-c", script], capture_output=True, text=True, timeout=300)

        inspect = json.loads(docker_engine.docker("inspect", container_id).stdout)[0]
        yield {"slug": slug, "result": result, "inspect": inspect, "exec": exec_}
    finally:
        _remove(docker_engine, container_id, slug)


def _remove(docker_engine, container_id, slug):
    """The container, images and volume `devcontainer up` made for SLUG."""
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


HOST_UID = 1001


@pytest.fixture(scope="module")
def host_user():
    """A host user of uid 1001 in the docker group: VS Code's updateRemoteUserUID renumbers `stt` to it."""
    import os
    import pwd
    if os.geteuid() != 0:
        pytest.skip(f"only root can make a host user of uid {HOST_UID} and run the Dev Containers CLI as it")
    try:
        name = pwd.getpwuid(HOST_UID).pw_name
    except KeyError:
        name = "dc-host-user"
        subprocess.run(["useradd", "--uid", str(HOST_UID), "--create-home", name], check=True)
    subprocess.run(["usermod", "-aG", "docker", name], check=True)  # the Docker socket is root:docker
    return pwd.getpwnam(name)


def test_data_is_writable_when_the_host_user_is_not_uid_1000(docker_engine, devcontainer_cli, host_user, tmp_path_factory):
    """`devcontainer up` run by a host user of uid 1001: `stt` becomes uid 1001 and can still write to /data."""
    import os
    slug = f"dc-uid-{uuid.uuid4().hex[:8]}"
    folder = tmp_path_factory.mktemp("dc-uid")
    project = bake(folder, {"project_slug": slug, "gpu_devcontainer": False})
    for path in [folder, *folder.parents]:  # pytest's temporary folders are root's own
        if str(path) == "/":
            break
        os.chmod(path, os.stat(path).st_mode | 0o755)
    subprocess.run(["chown", "-R", f"{HOST_UID}", str(project)], check=True)
    for image in base_images.base_images(project / "docker/Dockerfile.cpu"):
        base_images.ensure(image)
    common = ["--workspace-folder", str(project), "--config", str(project / ".devcontainer/cpu/devcontainer.json"),
              "--id-label", f"org.deepspeech-playbook.test={slug}", "--docker-path", docker_engine.cli()]
    as_user = ["runuser", "-u", host_user.pw_name, "--", "env", f"HOME={host_user.pw_dir}", devcontainer_cli]
    up = subprocess.run(as_user + ["up", *common], capture_output=True, text=True, timeout=1800, env=docker_engine.env())
    container_id = (json.loads(up.stdout.strip().splitlines()[-1]) if up.stdout.strip() else {}).get("containerId")
    try:
        assert up.returncode == 0, up.stderr[-3000:]
        out = subprocess.run(as_user + ["exec", *common, "sh", "-c", "id -u; touch /data/probe && echo writable; "
                                        "playbook doctor --json | grep -c '\"verdict\": \"fail\"'"],
                             capture_output=True, text=True, timeout=300)
        assert out.stdout.split()[:3] == [str(HOST_UID), "writable", "0"], out.stdout + out.stderr
    finally:
        _remove(docker_engine, container_id, slug)
