"""A search across machines, in containers: Debian's PostgreSQL (harness/postgres/) and workers of the project's CPU
image, each on its own data volume with the sample corpus, as cloud machines would be, and the shell steps both
tests/container/test_search.py and bench/search.py take in them."""
import secrets
import shlex
import time
import uuid
from contextlib import contextmanager

import docker
from testcontainers.core.container import DockerContainer

from .container import HARNESS_LABEL
from .images import build_postgres_image

READY = "postgres: the playbook database is ready"
# The worker's process is alive: PID 1 is `sleep`, which reaps no child, so one that has ended stays a zombie.
ALIVE = "state=$(cut -d' ' -f3 /proc/$(cat {pid})/stat 2>/dev/null) && [ \"$state\" != Z ]"


@contextmanager
def database(password: str | None = None, network_of: str | None = None):
    """PostgreSQL with PASSWORD (a fresh one by default) and a database `playbook` of user `playbook`: (its address,
    the password). NETWORK_OF: a container whose network namespace it joins (the address is then 127.0.0.1, as a
    server on the same machine); otherwise its address in Docker's bridge network."""
    password = password or secrets.token_hex(12)
    server = (DockerContainer(build_postgres_image()).with_env("PLAYBOOK_DB_PASSWORD", password)
              .with_kwargs(labels={HARNESS_LABEL: "container"}, **({"network_mode": f"container:{network_of}"} if network_of else {})))
    with server:
        deadline = time.monotonic() + 120
        # harness/postgres/start.sh prints its line once the server answers with the user made, and never restarts it.
        while READY not in server.get_logs()[0].decode():
            if time.monotonic() > deadline:
                raise TimeoutError("PostgreSQL did not start: " + b"".join(server.get_logs()).decode()[-2000:])
            time.sleep(0.5)
        server.get_wrapped_container().reload()
        yield "127.0.0.1" if network_of else server.get_wrapped_container().attrs["NetworkSettings"]["IPAddress"], password


def url(address: str) -> str:
    """The study's URL as a user writes it: no password (that is in ~/.pgpass)."""
    return f"postgresql://playbook@{address}:5432/playbook"


@contextmanager
def workers(image: str, count: int, address: str, password: str, files: dict | None = None):
    """COUNT project containers, each with its own data volume, the sample corpus, the database's password in
    ~/.pgpass (libpq's password file, as the docs say) and FILES ({path: text}) written."""
    client, boxes, volumes = docker.from_env(), [], []
    try:
        for _ in range(count):
            volume = f"dsp-search-{uuid.uuid4().hex[:8]}"
            client.volumes.create(volume, labels={HARNESS_LABEL: "data"})
            volumes.append(volume)
            box = (DockerContainer(image).with_command(["sleep", "infinity"]).with_volume_mapping(volume, "/data", "rw")
                   .with_kwargs(labels={HARNESS_LABEL: "container"}, shm_size="1g"))
            box.start()
            boxes.append(box)
        for box in boxes:
            writes = "".join(f" && printf '%s' {shlex.quote(text)} > {path}" for path, text in (files or {}).items())
            ok(box, f"playbook sample > /dev/null && umask 077 && echo '{address}:5432:playbook:playbook:{password}' "
                    f"> ~/.pgpass{writes}")
        yield boxes
    finally:
        for box in boxes:
            box.stop()
        for volume in volumes:
            client.volumes.get(volume).remove(force=True)


def sh(box, command: str, user: str = "stt") -> tuple[int, str]:
    code, output = box.get_wrapped_container().exec_run(["bash", "-c", command], user=user)
    return code, output.decode("utf-8", "replace")


def ok(box, command: str) -> str:
    code, output = sh(box, command)
    if code != 0:
        raise AssertionError(f"`{command}` exited {code}:\n{output[-3000:]}")
    return output


def start(box, command: str, log: str = "/tmp/search.log") -> None:
    """COMMAND in the background, in a session of its own; its output in LOG, its pid in LOG.pid."""
    ok(box, f"setsid {command} > {log} 2>&1 < /dev/null & echo $! > {log}.pid")


def alive(box, log: str = "/tmp/search.log") -> bool:
    return sh(box, ALIVE.format(pid=f"{log}.pid"))[0] == 0


def wait_for(box, text: str, seconds: float, log: str = "/tmp/search.log") -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if text in sh(box, f"cat {log} 2>/dev/null")[1]:
            return
        time.sleep(0.5)
    raise AssertionError(f"{text!r} did not appear in {log} within {seconds} s:\n" + sh(box, f"tail -40 {log}")[1])


def wait_until_done(boxes, seconds: float, log: str = "/tmp/search.log") -> float:
    """Seconds until every box's command has ended."""
    started = time.monotonic()
    while any(alive(box, log) for box in boxes):
        if time.monotonic() - started > seconds:
            raise AssertionError(f"the search did not end within {seconds} s:\n" + sh(boxes[0], f"tail -60 {log}")[1])
        time.sleep(1)
    return time.monotonic() - started


def runs(box) -> set:
    return set(sh(box, "ls /data/runs 2>/dev/null")[1].split())
