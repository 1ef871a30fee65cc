"""`make demo` and `make test` set up a fresh Debian machine themselves: harness/system-packages.sh, in a bare
Debian bookworm container, names the one command to run as root when run as another user, installs what is
missing when run as root, and is then satisfied."""
import pytest
from testcontainers.core.container import DockerContainer

from harness import base_images
from harness.endtoend import REPO
from harness.container import HARNESS_LABEL

BARE_DEBIAN = "debian:bookworm-slim"


@pytest.mark.container
def test_a_bare_debian_machine_gets_what_make_demo_needs(docker_engine):
    base_images.ensure(BARE_DEBIAN)
    box = (DockerContainer(BARE_DEBIAN).with_command(["sleep", "infinity"])
           .with_volume_mapping(str(REPO / "harness"), "/harness", "ro").with_kwargs(labels={HARNESS_LABEL: "container"}))
    with box:
        container = box.get_wrapped_container()

        def setup(user):
            code, output = container.exec_run(["bash", "/harness/system-packages.sh", "demo"], user=user)
            return code, output.decode()
        code, refused = setup("nobody")
        assert code == 2, refused
        assert "setup: these system packages are missing: docker.io debootstrap make git" in refused, refused
        assert "python3.11 python3.11-venv; run as root, once: apt-get update && apt-get install -y" in refused, refused
        code, installed = setup("root")
        assert code == 0, installed[-2000:]
        assert setup("nobody") == (0, "")
        code, versions = container.exec_run(["bash", "-c", "python3.11 -m venv /tmp/venv && /tmp/venv/bin/python -V && "
                                                          "docker --version && make --version | head -1"])
        assert code == 0 and "Python 3.11" in versions.decode(), versions.decode()
