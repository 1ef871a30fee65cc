"""What the engine runs for each shard of a `pipe:` source (shards.source_files puts it in the engine's URL):

    python -m playbook.data.shard_stream CACHE COMMAND... PREFIX/train-000003.tar

writes the shard to standard output, where webdataset reads it: from CACHE when this machine has it whole, without
starting COMMAND; else COMMAND's output as it arrives, kept in CACHE once it is whole and matches the manifest's
bytes and sha256 (CACHE holds the manifest it was made for: shards written again make a new manifest, so a new
CACHE, and never a mix of old and new shards).

Why not webdataset's own cache (WEBDATASET_CACHE): webdataset 0.1.103, which coqui-stt-training 1.4.0 pins, starts
the pipe command of every shard before it looks in its cache, so each cached shard was still requested from the
bucket in every epoch (a GET, and rclone's read-ahead), and its cache is named by the URL alone, so shards pushed
again under the same names would be read from the old copies.
"""
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

MANIFEST = "shards.json"  # shards.MANIFEST; not imported, so that each shard's process starts with the standard library only
CHUNK = 1 << 20
# A partial copy nobody has written to for this long was left by a training that was killed (a shard arrives in
# minutes): it is removed when the next shard is fetched, so that kills do not fill the disk with shard-sized files.
STALE_S = 3600


def _warn(text):
    print("playbook shard_stream: " + text, file=sys.stderr, flush=True)


def _expected(cache, name):
    try:
        return json.loads((cache / MANIFEST).read_text()).get("files", {}).get(name)
    except (OSError, ValueError, AttributeError):
        return None


def _remove_stale(cache):
    now = time.time()
    for path in cache.glob(".*.partial"):
        try:
            if now - path.stat().st_mtime > STALE_S:
                path.unlink()
        except OSError:
            pass  # another process removed or finished it


def _send(path, out):
    with open(str(path), "rb") as kept:
        for chunk in iter(lambda: kept.read(CHUNK), b""):
            out.write(chunk)


def stream(cache, command, out):
    """COMMAND's shard (its last argument names it) to OUT, from CACHE or from COMMAND; COMMAND's exit code."""
    name = command[-1].rstrip("/").rsplit("/", 1)[-1]
    kept = cache / name
    if kept.is_file():
        _send(kept, out)
        return 0
    expected = _expected(cache, name)
    partial = cache / ".{}.{}.partial".format(name, os.getpid())  # two trainings of one machine may fetch one shard
    _remove_stale(cache)
    try:
        keep = open(str(partial), "wb")
    except OSError:
        keep = None  # a read-only or missing cache: the shard still streams
    process = subprocess.Popen(command, stdout=subprocess.PIPE)
    digest, size = hashlib.sha256(), 0
    try:
        for chunk in iter(lambda: process.stdout.read(CHUNK), b""):
            out.write(chunk)
            digest.update(chunk)
            size += len(chunk)
            if keep:
                try:
                    keep.write(chunk)
                except OSError as error:  # a full disk: the training goes on, the shard is not kept
                    _warn("{} is not kept in {} ({}).".format(name, cache, error.strerror))
                    keep.close()
                    keep = None
                    os.remove(str(partial))
        out.flush()
    except BrokenPipeError:  # the engine stopped reading (stopped, or killed): nothing is kept
        process.kill()
        process.wait()
        if keep:
            keep.close()
            os.remove(str(partial))
        return 0
    code = process.wait()
    if keep:
        keep.close()
        whole = code == 0 and (expected is None or (size == expected["bytes"] and digest.hexdigest() == expected["sha256"]))
        if whole:
            try:
                os.replace(str(partial), str(kept))
            except FileNotFoundError:
                pass  # taken for stale while its command stalled for an hour: not kept, the next epoch fetches it
        else:
            os.remove(str(partial))
            if code == 0:
                _warn("{} came as {} bytes, the manifest says {} (sha256 {}): not kept; push the shards again "
                      "with their manifest.".format(name, size, expected["bytes"], expected["sha256"][:12]))
    return code


def main(argv):
    if len(argv) < 3:
        _warn("usage: python -m playbook.data.shard_stream CACHE COMMAND... PATH")
        return 2
    try:
        code = stream(Path(argv[1]), argv[2:], sys.stdout.buffer)
        sys.stdout.buffer.flush()
    except BrokenPipeError:  # the engine stopped reading a kept shard
        code = 0
    # Python flushes standard output again as it exits, which prints an error when the reader has gone.
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
