"""`playbook download-release NAME`: a released checkpoint and its scorer, fetched, checked and unpacked onto the
data volume (default /data/incoming), ready for `import-checkpoint` and `transcribe --scorer` (docs/checkpoints.md).

Python's urllib rather than a download tool: the image has no curl or wget, and what matters here is around the
bytes, which no tool does for us in one step: a file is fetched to <file>.partial (an interrupted download continues
from there where the server allows byte ranges), its SHA-256 is compared with the one given before it gets its name,
an archive is unpacked into <folder>.partial and renamed when complete, and nothing already there is replaced.

Checksums: neither Mozilla nor Coqui published digests beside these files, so none is built in. The command prints
each file's SHA-256 and keeps it in <file>.sha256; pass the ones you trust (your mirror's, a colleague's) with
--checkpoint-sha256 / --scorer-sha256, and a file that differs is refused and not kept.
"""
import shutil
import sys
import tarfile
import urllib.error
import urllib.request
from pathlib import Path

from .. import settings, storage
from ..errors import UserError

# name -> where its files are, and what they are. --mirror replaces the base URL (a copy on your own server).
RELEASES = {
    "deepspeech-0.9.3": {
        "base": "https://github.com/mozilla/DeepSpeech/releases/download/v0.9.3/",
        "checkpoint": "deepspeech-0.9.3-checkpoint.tar.gz",  # unpacks to deepspeech-0.9.3-checkpoint/
        "scorer": "deepspeech-0.9.3-models.scorer",
        "about": "Mozilla DeepSpeech 0.9.3, English: n_hidden 2048, CuDNN, 7.06% WER on LibriSpeech test-clean",
    },
}
CHUNK = 1 << 20


def _fetch(url, target, expected=None):
    """TARGET from URL (kept when already there); its SHA-256, checked against EXPECTED when given."""
    if not target.is_file():
        partial = storage.partial_of(target)
        have = partial.stat().st_size if partial.is_file() else 0
        request = urllib.request.Request(url, headers={"Range": "bytes={}-".format(have)} if have else {})
        try:
            response = urllib.request.urlopen(request, timeout=60)
        except urllib.error.HTTPError as error:
            raise UserError("download-release: {} answered {} {}; check the name or the --mirror URL.".format(
                url, error.code, error.reason))
        except (urllib.error.URLError, OSError) as error:
            raise UserError("download-release: cannot reach {} ({}); check the network or give --mirror.".format(
                url, getattr(error, "reason", error)))
        with response, open(str(partial), "ab" if response.status == 206 else "wb") as out:
            total = int(response.headers.get("Content-Length") or 0) + (have if response.status == 206 else 0)
            print("downloading {} ({}){}".format(url, "{:.1f} MB".format(total / 1e6) if total else "size unknown",
                                                 ", continuing at {:.1f} MB".format(have / 1e6) if response.status == 206 else ""),
                  file=sys.stderr, flush=True)
            shutil.copyfileobj(response, out, CHUNK)
        digest = storage.sha256_of(partial)
        if expected and digest != expected.lower():
            partial.unlink()
            raise UserError("download-release: {} has SHA-256 {}, not {}; it was not kept. Check the checksum, or the "
                            "mirror's copy.".format(url, digest, expected))
        partial.rename(target)
    digest = storage.sha256_of(target)
    if expected and digest != expected.lower():
        raise UserError("{} is already there with SHA-256 {}, not {}; move it away to download it again.".format(
            target, digest, expected))
    Path(str(target) + ".sha256").write_text("{}  {}\n".format(digest, target.name))
    return digest


def _unpack(archive, folder):
    """ARCHIVE's single top folder as FOLDER (kept when already there); members outside it are refused."""
    if folder.is_dir():
        return
    with tarfile.open(str(archive)) as tar, storage.building(folder) as partial:
        members = tar.getmembers()
        top = folder.name + "/"
        for member in members:
            if member.name.rstrip("/") == folder.name and member.isdir():
                member.name = ""
                continue
            if not member.name.startswith(top) or ".." in Path(member.name).parts or not (member.isfile() or member.isdir()):
                raise UserError("{} holds {}, which is not a file under {}; it is not a release archive.".format(
                    archive, member.name, top))
            member.name = member.name[len(top):]
        tar.extractall(str(partial), members=[m for m in members if m.name])


def download(name, to=None, mirror=None, checkpoint_sha256=None, scorer_sha256=None):
    if name not in RELEASES:
        raise UserError("unknown release '{}'; the releases are {}.".format(name, ", ".join(sorted(RELEASES))))
    release, to = RELEASES[name], Path(to or settings.DATA_ROOT / "incoming")
    to.mkdir(parents=True, exist_ok=True)
    base = (mirror.rstrip("/") + "/") if mirror else release["base"]
    archive, scorer = to / release["checkpoint"], to / release["scorer"]
    digests = {"checkpoint": _fetch(base + release["checkpoint"], archive, checkpoint_sha256),
               "scorer": _fetch(base + release["scorer"], scorer, scorer_sha256)}
    folder = to / release["checkpoint"][:-len(".tar.gz")]
    _unpack(archive, folder)
    return {"release": name, "about": release["about"], "checkpoint_folder": str(folder), "scorer": str(scorer),
            "sha256": digests, "verified": {"checkpoint": bool(checkpoint_sha256), "scorer": bool(scorer_sha256)},
            "next": "playbook import-checkpoint {} --name {}".format(folder, name)}
