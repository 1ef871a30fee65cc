"""A dataset as WebDataset shards, for a corpus too big to copy to every machine: `playbook shards DATASET` writes
tar files of a few hundred MB (<key>.wav and <key>.txt per utterance, by webdataset's own ShardWriter) and a
manifest; coqui-stt-training reads such shards as they stream from a bucket, through a `pipe:` URL
(`pipe:rclone cat REMOTE:path/train-{000000..000041}.tar`), so a GPU machine trains while it reads instead of
first pulling the corpus whole.

Rows go into the shards sorted by duration, as the engine sorts a CSV, so a batch of one shard pads little; the
training split is cut into shards of --size, the dev and test splits are one shard each. The
rows were checked when the shards were written (the dataset's own check), and a shard source is not read again
before training: that would read the corpus once more, over the network.

A shard source, wherever `--dataset` takes a dataset:
- a folder `playbook shards` wrote (`/data/shards/sample`): its tar files are read where they are;
- `pipe:COMMAND PREFIX`: COMMAND prints the file PREFIX/NAME for each NAME (`pipe:rclone cat s3:bucket/shards/sample`):
  the manifest and alphabet come first that way (kept in /data/cache/shards/), then the shards as they train,
  through playbook/data/shard_stream.py, which keeps each shard in that cache, checked against the manifest, for
  the next epoch and the next run (and reads it from there without asking the bucket again).
deepspeech-training 0.9.3 has no tar reader: it is refused in one sentence, which says what it reads instead.
"""
import contextlib
import hashlib
import io
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

from .. import settings, storage
from ..errors import UserError
from . import validate

MANIFEST = "shards.json"  # not manifest.json: the sample corpus and imports write one of their own
SPLITS = ("train", "dev", "test")
SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(kB|KB|MB|GB|k|M|G)?\s*$")
UNITS = {None: 1, "k": 1e3, "kB": 1e3, "KB": 1e3, "M": 1e6, "MB": 1e6, "G": 1e9, "GB": 1e9}
# rclone's log lines start "2026/12/03 19:35:58 NOTICE: "; the sentence keeps what follows.
RCLONE_LOG_PREFIX = re.compile(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d (?:[A-Z]+ *: )?")
REMOTE_SCHEMES = ("s3://", "gs://", "gcs://", "az://", "http://", "https://")


def parse_size(text):
    match = SIZE.match(text)
    if not match or float(match.group(1)) <= 0:
        raise UserError("--size {}: write a size such as 500MB or 1GB.".format(text))
    return int(float(match.group(1)) * UNITS[match.group(2)])


def write(dataset, out=None, size="500MB"):
    """DATASET's splits as shards in OUT (default /data/shards/<name>), with its alphabet and a manifest."""
    from ..training import runs
    if_engine_cannot_read()
    import webdataset
    limit = parse_size(size)
    dataset = Path(dataset)
    out = Path(out) if out else settings.SHARDS / dataset.name
    if out.exists():
        raise UserError("{} already exists; pick another --out, or remove it first.".format(out))
    files = runs.dataset_files(dataset, need=("train", "dev"))  # every row checked, as before a training
    manifest = {"dataset": str(dataset), "shard_bytes": limit, "splits": {}, "files": {}}
    with storage.building(out) as partial:
        for split in SPLITS:
            if not files[split].is_file():
                continue
            rows = validate.read_rows(files[split])
            for row in rows:
                samples, rate = validate.audio_header(row.wav)[0][:2]  # checked above: every header reads
                row.seconds = samples / float(rate)
            rows.sort(key=lambda row: row.seconds)
            # One shard for dev and test: the engine formats a dev set's name into its progress line, where the braces
            # of a shard pattern break it (IndexError in progressbar); a dev set is small enough for one file.
            with contextlib.redirect_stdout(io.StringIO()):  # its "# writing ..." line names the partial folder
                writer = webdataset.ShardWriter(str(partial / (split + "-%06d.tar")), maxcount=10 ** 9,
                                                maxsize=limit if split == "train" else 10 ** 15)
            writer.verbose = 0
            for number, row in enumerate(rows):
                writer.write({"__key__": "{:09d}".format(number), "wav": Path(row.wav).read_bytes(),
                              "txt": row.transcript.encode("utf-8")})
            writer.close()
            shards = len(list(partial.glob(split + "-*.tar")))
            manifest["splits"][split] = {"samples": len(rows), "shards": shards,
                                         "seconds": round(sum(row.seconds for row in rows), 1),
                                         "pattern": pattern(split, shards)}
            # What each shard must be when it arrives (shard_stream keeps only a shard that matches).
            manifest["files"].update((shard.name, {"bytes": shard.stat().st_size, "sha256": storage.sha256_of(shard)})
                                     for shard in sorted(partial.glob(split + "-*.tar")))
        (partial / "alphabet.txt").write_bytes(files["alphabet"].read_bytes())
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    manifest["out"] = str(out)
    manifest["bytes"] = sum(path.stat().st_size for path in out.iterdir())
    del manifest["files"]  # in the manifest file; too long for the command's summary
    return manifest


def pattern(split, shards):
    """The brace pattern of a split's shards, as webdataset expands it: train-{000000..000041}.tar."""
    # Written without two braces in a row: the template engine that makes this project would read them as its own.
    return split + "-{000000.." + "%06d" % (shards - 1) + "}.tar" if shards > 1 else split + "-000000.tar"


def if_engine_cannot_read():
    from .. import engines
    engines.current().require("shards")  # deepspeech-training 0.9.3 has no tar reader (engines/deepspeech.py)


def is_source(dataset):
    text = str(dataset)
    return text.startswith("pipe:") or text.startswith(REMOTE_SCHEMES) or (Path(text) / MANIFEST).is_file()


# (command, name) -> the local copy this process fetched: a training start asks for a dataset's files three times
# (the checks, the run's folder, the engine's flags), and a `pipe:` source would be read over the network each time.
_FETCHED = {}


def _fetch(command, name, cache):
    """NAME of a `pipe:` source, by its COMMAND, into CACHE (once per process); one sentence if the command fails."""
    if (command, name) in _FETCHED:
        return _FETCHED[command, name]
    argv = shlex.split(command)
    argv[-1] = argv[-1].rstrip("/") + "/" + name
    try:
        result = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    except FileNotFoundError:
        raise UserError("pipe:{}: there is no program {} here.".format(command, argv[0]))
    if result.returncode != 0 or not result.stdout:
        why = (result.stderr.decode("utf-8", "replace").strip().splitlines() or ["it printed nothing"])[-1]
        why = RCLONE_LOG_PREFIX.sub("", why)
        raise UserError("pipe:{} gives no {} ({}): check the path, and that `playbook shards` wrote the shards there."
                        .format(command, name, why[:200]))
    cache.mkdir(parents=True, exist_ok=True)
    with storage.building(cache / name, folder=False) as partial:
        partial.write_bytes(result.stdout)
    _FETCHED[command, name] = cache / name
    return cache / name


def source_files(dataset, need=("train", "dev")):
    """A shard source's files as a dataset's: {split: the engine's URL, "alphabet": a local file, "rows": {split: n},
    "shard_cache": where a `pipe:` source's shards are kept}. Ask if_engine_cannot_read() first."""
    text = str(dataset)
    if text.startswith(REMOTE_SCHEMES):
        raise UserError("--dataset {}: the engine reads shards from `pipe:` URLs, not {} ones: write pipe:rclone cat "
                        "REMOTE:path (an rclone remote; `rclone config`) instead.".format(text, text.split(":")[0]))
    if text.startswith("pipe:"):
        command = text[len("pipe:"):].strip()
        source_cache = settings.CACHE / "shards" / hashlib.sha1(command.encode()).hexdigest()[:12]
        manifest_file, alphabet = _fetch(command, MANIFEST, source_cache), _fetch(command, "alphabet.txt", source_cache)
        # The shards of this manifest are kept apart from any other's: shards written again under the same names
        # come with a new manifest, and are never read from the old ones' copies.
        cache = source_cache / hashlib.sha1(manifest_file.read_bytes()).hexdigest()[:12]
        stream = [sys.executable, "-m", "playbook.data.shard_stream", str(cache)]
        where = "pipe:" + " ".join(map(shlex.quote, stream)) + " " + command.rstrip("/") + "/"
    else:
        folder = Path(text).resolve()
        manifest_file, alphabet, where, cache = folder / MANIFEST, folder / "alphabet.txt", str(folder) + "/", None
    try:
        splits = json.loads(manifest_file.read_text())["splits"]
        for split in splits.values():
            split["pattern"], split["samples"]  # noqa: B018 -- what the lines below read
    except (ValueError, KeyError, TypeError, AttributeError):
        raise UserError("{} is not a manifest `playbook shards` wrote; write the shards again.".format(manifest_file))
    missing = [split for split in need if split not in splits]
    if missing:
        raise UserError("{} has no {} split; shard a dataset that has one.".format(text, missing[0]))
    if cache is not None and not (cache / MANIFEST).is_file():
        cache.mkdir(parents=True, exist_ok=True)
        with storage.building(cache / MANIFEST, folder=False) as partial:
            partial.write_bytes(manifest_file.read_bytes())
    files = {split: where + splits[split]["pattern"] for split in splits}
    files.update(alphabet=alphabet, rows={split: splits[split]["samples"] for split in splits}, shard_cache=cache)
    return files
