"""`make demo` and `make test` set up a fresh Debian machine themselves. In a bare Debian bookworm container,
harness/system-packages.sh and harness/ensure-docker.sh (what Docker the harness can use) decide, for each
machine a user or CI may have: nothing installed; only a static Docker CLI without buildx (this kind of CI
machine's case); dockerd installed but stopped; a DOCKER_HOST that points at a live engine; not root. Acting
for real where a container allows it (installing); --dry-run prints the decision where acting would need a
privileged container (starting dockerd)."""
import subprocess

import pytest
from testcontainers.core.container import DockerContainer

from harness import base_images
from harness.container import HARNESS_LABEL
from harness.paths import REPO

BARE_DEBIAN = "debian:bookworm-slim"
HOST_ENGINE = "unix:///run/host-docker.sock"
START = "start dockerd (dockerd > /tmp/dockerd.log 2>&1 &)"


def static_cli_without_buildx() -> str | None:
    """A `docker` CLI of 23 or newer without the buildx plugin on this machine, as CI's machines ship one."""
    for line in subprocess.run(["which", "-a", "docker"], capture_output=True, text=True).stdout.split():
        version = subprocess.run([line, "--version"], capture_output=True, text=True).stdout
        if version.startswith("Docker version ") and int(version.split()[2].split(".")[0]) >= 23 and \
                subprocess.run([line, "buildx", "version"], capture_output=True).returncode != 0:
            return line
    return None


@pytest.mark.container
def test_set_up_decides_docker_and_packages_on_each_kind_of_machine(docker_engine):
    base_images.ensure(BARE_DEBIAN)
    static_cli = static_cli_without_buildx()
    box = (DockerContainer(BARE_DEBIAN).with_command(["sleep", "infinity"])
           .with_volume_mapping(str(REPO / "harness"), "/harness", "ro")
           .with_volume_mapping("/var/run/docker.sock", "/run/host-docker.sock", "rw")
           .with_kwargs(labels={HARNESS_LABEL: "container"}))
    with box:
        container = box.get_wrapped_container()

        def sh(script, *args, user="root", env=None):
            code, output = container.exec_run(["bash", f"/harness/{script}", *args], user=user, environment=env or {})
            return code, output.decode()

        # Nothing installed, not root: one sentence with the one command, for every package at once.
        assert sh("ensure-docker.sh", "--dry-run", user="nobody") == (0, f"refuse: as nobody, cannot install docker.io, {START}; CLI now: none\n")
        code, refused = sh("system-packages.sh", "demo", user="nobody")
        assert code == 2, refused
        assert "setup: these system packages are missing: docker.io debootstrap make git" in refused, refused
        assert "python3.11 python3.11-venv; run as root, once: apt-get update && apt-get install -y" in refused, refused

        # Only a static CLI without buildx: it is no engine and cannot build with BuildKit, so docker.io is needed.
        if static_cli:
            subprocess.run([docker_engine.cli(), "cp", static_cli, f"{container.id}:/usr/local/bin/docker"], check=True)
            version = subprocess.run([static_cli, "--version"], capture_output=True, text=True).stdout.split()[2].rstrip(",")
            cli_now = f"/usr/local/bin/docker ({version}, no buildx plugin, so no BuildKit)"
            assert sh("ensure-docker.sh", "--dry-run") == (0, f"act: install docker.io, {START}; CLI now: {cli_now}\n")
            assert sh("ensure-docker.sh", "--package") == (0, "docker.io\n")
            # The same CLI with DOCKER_HOST at a live engine: the engine answers, but the harness still needs a
            # CLI that builds with BuildKit; nothing is started.
            assert sh("ensure-docker.sh", "--dry-run", env={"DOCKER_HOST": HOST_ENGINE}) == \
                (0, f"act: install docker.io; CLI now: {cli_now}\n")

        # Root installs what is missing, docker.io with the rest, in one apt-get.
        code, installed = sh("system-packages.sh", "demo")
        assert code == 0, installed[-2000:]
        assert installed.startswith("setup: installing docker.io debootstrap make git"), installed[:500]
        assert sh("system-packages.sh", "demo", user="nobody") == (0, "")
        assert sh("ensure-docker.sh", "--cli") == (0, "/usr/bin/docker\n")

        # dockerd installed but stopped: root starts it (here only said: a container may not run dockerd);
        # another user is told the one command.
        assert sh("ensure-docker.sh", "--dry-run") == (0, f"act: {START}; CLI now: /usr/bin/docker (20.10.24)\n")
        code, told = sh("ensure-docker.sh", user="nobody")
        assert (code, told) == (2, "setup: Docker: no engine answers at unix:///var/run/docker.sock and dockerd is installed "
                                   "but not running; run as root: dockerd > /tmp/dockerd.log 2>&1 &\n"), told

        # DOCKER_HOST at a live engine (this machine's, passed in): used as it is, nothing installed or started.
        code, used = sh("ensure-docker.sh", env={"DOCKER_HOST": HOST_ENGINE})
        assert code == 0 and used.startswith(f"setup: Docker: engine ") and \
            used.endswith(f" at {HOST_ENGINE}, CLI /usr/bin/docker (20.10.24) (BuildKit)\n"), used
        code, dead = sh("ensure-docker.sh", env={"DOCKER_HOST": "unix:///run/nothing.sock"})
        assert (code, dead) == (2, "setup: Docker: DOCKER_HOST=unix:///run/nothing.sock but no engine answers there; start "
                                   "that engine, or unset DOCKER_HOST to use this machine's.\n"), dead

        code, versions = container.exec_run(["bash", "-c", "python3.11 -m venv /tmp/venv && /tmp/venv/bin/python -V && "
                                                          "docker --version && make --version | head -1"])
        assert code == 0 and "Python 3.11" in versions.decode(), versions.decode()
    if not static_cli:
        pytest.skip("this machine has no docker CLI of 23 or newer without buildx, so the static-CLI case was not run")
