"""The project's images as the harness builds them: base images ensured (pulled, or their offline stand-ins
made), the engine's build arguments, the tag, and the sizes the images are held to."""
import json
from pathlib import Path

from . import base_images, docker_cli, engine_sources
from .bake import DEFAULT_ENGINE
from .log import HarnessError

# What the image size tests hold the images to, in bytes. Measured on 2026-11-26 (with the offline stand-in
# base images): CPU image 985 MB (default engine; 1,255 MB before docker/slim-python.sh), device image 137 MB
# on amd64 and 142 MB on arm64 (191 and 198 MB before; 166 and 184 MB before its package manager went).
# The device bounds are issue 17's. The CPU image grew to 990 MB with the WebAssembly client (issue 29) and to
# 998 MB with PostgreSQL's client for the search across machines (psycopg2-binary: libpq and its own OpenSSL, 7.6 MB;
# 2026-12-03); its bound went from 1.0 to 1.05 GB then, rather than take out parts of TensorFlow or matplotlib
# that some user's command may import.
CPU_IMAGE_MAX_BYTES = {DEFAULT_ENGINE: 1.05e9, "deepspeech-training": 1.5e9}
DEVICE_IMAGE_MAX_BYTES = {"amd64": 150e6, "arm64": 160e6}


# The arm64 device image: Dockerfile.device on Debian's arm64 base, emulated by qemu-user on an amd64 machine.
ARM64, ARM64_BASE = "linux/arm64", "arm64v8/debian:bookworm-slim"


def image_tag(slug: str, variant: str) -> str:
    return f"deepspeech-playbook/{slug}:{variant}"


def build_image(project: Path, variant: str = "cpu") -> tuple[str, dict]:
    dockerfile = project / "docker" / f"Dockerfile.{variant}"
    provenance = {image: base_images.ensure(image) for image in base_images.base_images(dockerfile)}
    tag = image_tag(project.name, variant)
    docker_cli.build(project, dockerfile, tag, build_args=engine_sources.build_args(project, dockerfile))
    return tag, provenance


def build_arm64_device_image(project: Path) -> str:
    """The project's device image for arm64 (its base ensured); its tag."""
    base_images.ensure(ARM64_BASE)
    tag = image_tag(project.name, "device-arm64")
    docker_cli.build(project, project / "docker" / "Dockerfile.device", tag, build_args={"RUNTIME_BASE": ARM64_BASE},
                     platform=ARM64)
    return tag


def _harness_image(folder: str) -> str:
    """One of the harness's own images (harness/FOLDER/Dockerfile, on the Debian base's offline stand-in)."""
    tag = f"dsp-harness-{folder}:latest"
    base_images.ensure("debian:bookworm-slim")
    docker_cli.build(HARNESS / folder, HARNESS / folder / "Dockerfile", tag)
    return tag


HARNESS = Path(__file__).resolve().parent


def build_browser_image() -> str:
    """Debian's Chromium driven by Playwright, for the live page (journey (e)) and the page of `playbook web-export`
    (endtoend's web stage)."""
    return _harness_image("browser")


def build_postgres_image() -> str:
    """Debian's PostgreSQL, for the search across machines (test_search.py, bench/search.py, the Hyperparameters chapter)."""
    return _harness_image("postgres")


def browse(tag: str, box, script: str, *arguments: str, mounts: tuple = (), timeout: int = 300) -> dict:
    """harness/browser/SCRIPT (live_page.py, web_page.py) in the browser image TAG, in BOX's network namespace (the
    page is on localhost, as in a forwarded dev container) with its data volume read-only and MOUNTS ("-v" values)
    besides; the JSON the script prints."""
    volumes = [argument for mount in (f"{box.volume}:/data:ro", *mounts) for argument in ("-v", mount)]
    output = docker_cli.docker("run", "--rm", "--network", f"container:{box.container.get_wrapped_container().id}", *volumes,
                               "--entrypoint", "/opt/browser/bin/python", tag, f"/opt/{script}", *arguments, check=False,
                               timeout=timeout)
    if output.returncode != 0:
        raise HarnessError(f"the browser's {script} failed: {output.stderr.strip()[-1500:]}")
    return json.loads(output.stdout.strip().splitlines()[-1])
