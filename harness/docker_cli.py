"""The docker command line, as the harness uses it.

Builds go through the CLI with BuildKit (docker-py and testcontainers only know
the classic builder). Which CLI is decided in one place, harness/ensure-docker.sh,
which `make setup` runs too: Debian's docker.io CLI (20.10, BuildKit built in),
else the first `docker` on PATH that has the buildx plugin.
"""
import os
import subprocess
import time
from functools import cache
from pathlib import Path

from .log import HarnessError, log

ENSURE_DOCKER = Path(__file__).resolve().parent / "ensure-docker.sh"


@cache
def cli() -> str:
    chosen = subprocess.run(["bash", str(ENSURE_DOCKER), "--cli"], capture_output=True, text=True)
    if chosen.returncode != 0:
        raise HarnessError(chosen.stderr.strip() or "no docker CLI that builds with BuildKit; run make setup.")
    return chosen.stdout.strip()


def env() -> dict:
    return {**os.environ, "DOCKER_BUILDKIT": "1"}


def docker(*args, check=True, capture=True, timeout=None, input=None) -> subprocess.CompletedProcess:
    result = subprocess.run([cli(), *args], env=env(), text=True, capture_output=capture, timeout=timeout, input=input)
    if check and result.returncode != 0:
        raise HarnessError(f"docker {' '.join(args[:3])} ... failed (exit {result.returncode}): {(result.stderr or '').strip()[-2000:]}")
    return result


def wait_for_log(container: str, line: str, what: str, seconds: int = 60) -> None:
    """Return once CONTAINER's log (stderr) holds LINE; past SECONDS, raise naming WHAT and the log's tail."""
    for _ in range(seconds * 2):
        if line in docker("logs", container).stderr:
            return
        time.sleep(0.5)
    raise HarnessError(f"{what} did not start in {seconds} s: "
                       f"{docker('logs', container, check=False).stderr.strip()[-800:]}")


def require_daemon() -> None:
    result = subprocess.run([cli(), "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True)
    if result.returncode != 0:
        raise HarnessError(
            "no Docker daemon answers (" + (result.stderr.strip().splitlines() or ["no output"])[-1] + "). "
            "Start one: `make setup` does it where it may (as root: `dockerd > /tmp/dockerd.log 2>&1 &`), "
            "or start Docker Desktop / `sudo systemctl start docker`.")


def image_exists(tag: str) -> bool:
    return docker("image", "inspect", tag, check=False).returncode == 0


def image_platform(tag: str) -> str:
    return docker("image", "inspect", "--format", "{{.Os}}/{{.Architecture}}", tag).stdout.strip()


def image_size(tag: str) -> int:
    return int(docker("image", "inspect", "--format", "{{.Size}}", tag).stdout.strip())


def build(context, dockerfile, tag: str, build_args: dict | None = None, stream=True, platform: str | None = None) -> None:
    """BuildKit build through the CLI; prints the build's progress as it goes."""
    args = ["build", "--progress=plain", "-f", str(dockerfile), "-t", tag, *(["--platform", platform] if platform else [])]
    for key, value in (build_args or {}).items():
        args += ["--build-arg", f"{key}={value}"]
    args.append(str(context))
    log(f"docker {' '.join(args)}")
    result = subprocess.run([cli(), *args], env=env(), text=True,
                            stdout=None if stream else subprocess.PIPE, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        shown = "the build log is above" if stream else "the build log ends:\n" + result.stdout[-3000:]
        raise HarnessError(f"building {tag} from {dockerfile} failed (exit {result.returncode}); {shown}")
