"""A running project container, started with testcontainers, with streaming exec."""
import os
import shlex
import socket
import uuid

# Ryuk (testcontainers' reaper) is pulled from a registry; the harness removes
# its own containers and volumes instead.
os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")

import docker  # noqa: E402
from testcontainers.core.container import DockerContainer  # noqa: E402

from .log import HarnessError, log  # noqa: E402

HARNESS_LABEL = "org.deepspeech-playbook.harness"
# Who started a container: "<host> <pid>". A container whose harness process is gone (killed, or the
# machine restarted) is a leftover; one whose process lives belongs to a run still going.
OWNER_LABEL = "org.deepspeech-playbook.harness.owner"


def this_owner() -> str:
    return f"{socket.gethostname()} {os.getpid()}"


def owner_is_gone(owner: str) -> bool:
    """True only when the owner ran on this host and its process no longer exists."""
    host, _, pid = owner.partition(" ")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # it exists, under another user
    return False


class ProjectContainer:
    """The project's image running as the dev container would: non-root user, /data on a fresh
    named volume, the project mounted at /workspaces/<slug>, a 2 GB /dev/shm.
    data_tmpfs="300m": /data is a tmpfs of that size instead (a small disk that can be filled);
    read_only_volumes: {volume: path} mounted read-only besides."""

    def __init__(self, image: str, project_dir, slug: str, keep: bool = False, volume: str | None = None,
                 data_tmpfs: str | None = None, read_only_volumes: dict | None = None):
        self.workspace = f"/workspaces/{slug}"
        self.volume = None if data_tmpfs else volume or f"dsp-harness-{slug}-{uuid.uuid4().hex[:8]}"
        self.keep = keep
        self.client = docker.from_env()
        # with_kwargs replaces, it does not add: all in one call.
        self.container = (
            DockerContainer(image)
            .with_command(["sleep", "infinity"])
            .with_volume_mapping(str(project_dir), self.workspace, "ro")
            .with_kwargs(shm_size="2g", working_dir=self.workspace,
                         labels={HARNESS_LABEL: "container", OWNER_LABEL: this_owner()})
        )
        if data_tmpfs:
            self.container.tmpfs["/data"] = f"size={data_tmpfs},mode=1777"  # Docker's tmpfs options, as `--tmpfs` takes them
        else:
            self._claim_volume()
            self.client.volumes.create(self.volume, labels={HARNESS_LABEL: "data"})
            self.container.with_volume_mapping(self.volume, "/data", "rw")
        for name, path in (read_only_volumes or {}).items():
            self.container.with_volume_mapping(name, path, "ro")

    def _claim_volume(self) -> None:
        """A named volume the harness made earlier (a run that was killed) is removed; any other is refused."""
        try:
            existing = self.client.volumes.get(self.volume)
        except docker.errors.NotFound:
            return
        if HARNESS_LABEL not in (existing.attrs.get("Labels") or {}):
            raise HarnessError(f"a data volume named {self.volume} exists and the harness did not make it; it is left alone. "
                               f"Remove it yourself (docker volume rm {self.volume}) if it holds nothing you need.")
        for user in self.client.containers.list(all=True, filters={"volume": self.volume}):
            labels = user.labels or {}
            owner = labels.get(OWNER_LABEL, "")
            if HARNESS_LABEL not in labels or not owner_is_gone(owner):
                if HARNESS_LABEL not in labels:
                    whose = "not the harness's"
                else:
                    whose = f"harness run {owner}" if owner else "a harness run that recorded no owner"
                raise HarnessError(f"the data volume {self.volume} is in use by container {user.name} ({whose}); "
                                   f"wait for that run to end, or stop it (docker rm -f {user.name}) and run again.")
            log(f"removing the container {user.name} a killed harness run ({owner}) left behind")
            user.remove(force=True)
        log(f"removing the volume {self.volume} a previous harness run left behind")
        existing.remove(force=True)

    def __enter__(self):
        self.container.start()
        log(f"container {self.container.get_wrapped_container().short_id} up; data volume {self.volume}")
        return self

    def __exit__(self, *exc):
        if self.keep:
            log(f"--keep: left container {self.container.get_wrapped_container().name} and volume {self.volume} in place")
            return
        self.container.stop()
        if self.volume:
            try:
                self.client.volumes.get(self.volume).remove(force=True)
            except docker.errors.NotFound:
                pass
        log(f"removed the container{' and volume ' + self.volume if self.volume else ''}")

    def exec(self, command: list[str], user: str | None = None, echo: str | None = None) -> tuple[int, str]:
        """Run a command in the container: (its exit code, its output). ECHO: print each line as it comes, so labelled."""
        api = self.client.api
        cid = self.container.get_wrapped_container().id
        exec_id = api.exec_create(cid, command, workdir=self.workspace, user=user or "")["Id"]
        chunks, pending = [], ""
        for chunk in api.exec_start(exec_id, stream=True):
            text = chunk.decode("utf-8", "replace")
            chunks.append(text)
            if echo:
                pending += text
                *lines, pending = pending.split("\n")
                for line in lines:
                    print(f"  {echo} | {line}", flush=True)
        if echo and pending:
            print(f"  {echo} | {pending}", flush=True)
        return api.exec_inspect(exec_id)["ExitCode"], "".join(chunks)

    def start(self, command: str, log: str, ready: str, label: str, seconds: int = 60) -> None:
        """Start COMMAND (bash) in the background, in a session of its own (setsid: it outlives this exec), its output
        in LOG and its pid in LOG.pid; return once LOG holds READY, else fail the stage with the log."""
        self.run(["bash", "-c", f"setsid {command} > {log} 2>&1 < /dev/null & echo $! > {log}.pid; "
                                f"for _ in $(seq {seconds * 4}); do grep -qF {shlex.quote(ready)} {log} && exit 0; sleep 0.25; "
                                f"done; cat {log}; exit 1"], label, stream=False)

    def run(self, command: list[str], label: str, stream: bool = True, check: bool = True, user: str | None = None) -> str:
        """Run a command in the container, a stage of a scenario: print its output as it comes (STREAM), fail the
        stage where it fails (CHECK); return its output."""
        code, output = self.exec(command, user=user, echo=label if stream else None)
        if check and code != 0:
            tail = "\n".join(output.strip().splitlines()[-15:])
            raise HarnessError(f"stage '{label}' failed: `{' '.join(command)}` exited {code}; its output ends:\n{tail}")
        return output
