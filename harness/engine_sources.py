"""Engine sources that no package index carries, supplied to a baked project's image build.

A project baked with engine=deepspeech-training installs DeepSpeech 0.9.3 from its source
archive on GitHub, which these machines cannot reach. The harness puts the local copy
(../shared/engines/, or PLAYBOOK_ENGINE_SOURCES) into the project's docker/engines/ and
points the build argument at it, as the project's docker/engines/README.md tells a user to.
"""
import hashlib
import os
import shutil
from pathlib import Path

from .log import HarnessError
from .paths import REPO


def _sources() -> Path:
    """PLAYBOOK_ENGINE_SOURCES, else the nearest shared/engines/ beside the repository or above it."""
    if os.environ.get("PLAYBOOK_ENGINE_SOURCES"):
        return Path(os.environ["PLAYBOOK_ENGINE_SOURCES"])
    for folder in REPO.parents:
        if (folder / "shared" / "engines").is_dir():
            return folder / "shared" / "engines"
    return REPO.parent / "shared" / "engines"


SOURCES = _sources()
# `git archive --prefix=DeepSpeech-0.9.3/ v0.9.3` of mozilla/DeepSpeech (commit f2e9c858...).
DEEPSPEECH_ARCHIVE = "DeepSpeech-0.9.3.tar.gz"
DEEPSPEECH_SHA256 = "d1981e510f2803f2021985d82209963751d671247a8f10614f0af152c9276f4e"


def build_args(project: Path, dockerfile: Path) -> dict:
    """The build arguments DOCKERFILE needs here ({} for an engine from PyPI, or an image without one)."""
    engines = project / "docker" / "engines"
    if not engines.is_dir() or "ARG DEEPSPEECH_SOURCE" not in dockerfile.read_text(encoding="utf-8"):
        return {}
    archive = SOURCES / DEEPSPEECH_ARCHIVE
    if not archive.is_file():
        raise HarnessError(f"{archive} is missing: the deepspeech-training engine is built from that archive here "
                           "(no GitHub); set PLAYBOOK_ENGINE_SOURCES to the folder that holds it.")
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    if digest != DEEPSPEECH_SHA256:
        raise HarnessError(f"{archive} has sha256 {digest}, not the v0.9.3 archive's {DEEPSPEECH_SHA256}; replace it.")
    target = engines / DEEPSPEECH_ARCHIVE
    if not target.is_file() or target.stat().st_size != archive.stat().st_size:
        shutil.copyfile(archive, target)
    return {"DEEPSPEECH_SOURCE": f"/tmp/engines/{DEEPSPEECH_ARCHIVE}"}
