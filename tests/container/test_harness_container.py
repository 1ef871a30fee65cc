"""A data volume left by a killed harness run is reclaimed; one a live run uses is refused with the reason."""
import subprocess
import uuid

import docker
import pytest

from harness.container import HARNESS_LABEL, OWNER_LABEL, ProjectContainer, this_owner
from harness.log import HarnessError


@pytest.fixture()
def held_volume(docker_engine, cpu_image):
    """A harness volume and a `sleep infinity` container on it, as a harness run leaves them; `hold(owner)` makes them."""
    client = docker.from_env()
    name = f"dsp-test-claim-{uuid.uuid4().hex[:8]}"
    made = []

    def hold(owner: str):
        client.volumes.create(name, labels={HARNESS_LABEL: "data"})
        container = client.containers.run(cpu_image, ["sleep", "infinity"], detach=True,
                                          volumes={name: {"bind": "/data", "mode": "rw"}},
                                          labels={HARNESS_LABEL: "container", OWNER_LABEL: owner})
        made.append(container)
        return name, container

    yield hold
    for container in made:
        try:
            container.remove(force=True)
        except docker.errors.NotFound:
            pass
    try:
        client.volumes.get(name).remove(force=True)
    except docker.errors.NotFound:
        pass


def _dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


@pytest.mark.container
def test_a_killed_runs_container_and_volume_are_reclaimed(held_volume, cpu_image, tmp_path):
    host = this_owner().split(" ")[0]
    name, leftover = held_volume(f"{host} {_dead_pid()}")
    ProjectContainer(cpu_image, tmp_path, "claim", volume=name)
    with pytest.raises(docker.errors.NotFound):
        leftover.reload()
    assert docker.from_env().volumes.get(name).attrs["Labels"][HARNESS_LABEL] == "data"


@pytest.mark.container
def test_a_volume_a_live_run_uses_is_refused_and_kept(held_volume, cpu_image, tmp_path):
    name, live = held_volume(this_owner())
    with pytest.raises(HarnessError, match=rf"{name} is in use by container {live.name} \(harness run .+\); wait"):
        ProjectContainer(cpu_image, tmp_path, "claim", volume=name)
    live.reload()
    assert live.status == "running"
