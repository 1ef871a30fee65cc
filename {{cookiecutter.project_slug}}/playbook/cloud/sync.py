"""`playbook sync push|pull REMOTE [WHAT ...]`: the data volume's datasets, runs, exports and language models
to and from object storage, through rclone (S3, GCS, Azure Blob, S3-compatible endpoints; remotes from
rclone's own config file or its RCLONE_CONFIG_<NAME>_* environment variables, so no credential passes
through playbook, its logs or its reports).

What it adds to a plain `rclone copy`:
- checkpoints arrive complete: every other file first, then each TensorFlow state file (`checkpoint`,
  `best_dev_checkpoint`) once the checkpoint it names is there, so a copy cut off half-way never names
  files the other side lacks;
- push verifies what it copied (`rclone check`, by checksum) and never deletes on the remote unless asked;
- pull never replaces a local file that differs (`--immutable`): what is on the volume stays as it was; with
  `--update` (what a restarted cloud job does) it takes the bucket's copy of a file that is newer there and keeps
  one that is newer here, so a run that went on elsewhere continues where the bucket has it (rclone's `--update`);
- one line per folder of what moved and how much (on stderr; the command prints a JSON summary).
"""
import csv
import json
import os
import shutil
import subprocess
import sys
import time

from .. import settings
from ..errors import UserError
from ..training.runs import STATE_LINE

# The folders of the data volume a sync moves by default; the feature cache and previews are rebuilt, not kept.
DEFAULT_WHAT = ("datasets", "runs", "exports", "lm")
STATE_FILES = ("checkpoint", "best_dev_checkpoint")
# Mid-copy work a run makes and removes again (playbook/training/runs.py stage_checkpoint), the commands' work
# folders (*.partial: an export, a scorer or an import being made) and this machine's run locks (runs.lock).
ALWAYS_EXCLUDED = (".staging/**", "*.partial/**", ".locks/**")


def rclone():
    found = shutil.which("rclone")
    if not found:
        raise UserError("rclone is not installed here; the project's images have it (docker/requirements.cpu.txt), "
                        "elsewhere install it from https://rclone.org/install/.")
    return found


def _run(arguments, what, folder="", missing_ok=False):
    """rclone ARGUMENTS; its final transfer statistics, or a UserError with its first error line. FOLDER: the
    data volume's folder the files it names are in. MISSING_OK: a source folder that does not exist is nothing to
    copy (an object store lists a missing prefix as empty; a file-system remote says it is not found)."""
    command = [rclone()] + arguments + ["--use-json-log", "--stats", "1h", "--stats-log-level", "NOTICE"]
    process = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    stats, errors, differing = {}, [], []
    for line in process.stdout.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            errors.append(line.strip())
            continue
        if "stats" in entry:
            stats = entry["stats"]
        elif entry.get("level") == "error" and "immutable" in entry.get("msg", "") and entry.get("object"):
            if entry["object"] not in differing:  # rclone retries and names it again
                differing.append(entry["object"])
        elif entry.get("level") in ("error", "critical"):
            errors.append("{}{}".format(entry.get("object", "") + ": " if entry.get("object") else "", entry.get("msg", "")))
    if process.returncode != 0 and differing:
        raise UserError("sync {}: {} here differs from the bucket's copy and is kept{}; move it away to take the bucket's, "
                        "or pull with --update to take each file the bucket has newer.".format(
                            what, folder + differing[0], " (and {} more)".format(len(differing) - 1) if len(differing) > 1 else ""))
    if process.returncode != 0 and missing_ok and errors and all("directory not found" in e for e in errors if e):
        return {}
    if process.returncode != 0:
        detail = next((e for e in errors if e and "not attempting retries" not in e), "exit code {}".format(process.returncode))
        raise UserError("sync {}: rclone failed: {}.".format(what, detail.rstrip(".")))
    return stats


def _remote_path(remote, what):
    if ":" not in remote:
        raise UserError("remote '{}' is not an rclone remote such as s3:my-bucket/speech or mybucket:speech; "
                        "configure one with `rclone config` or RCLONE_CONFIG_<NAME>_* variables (docs/cloud.md).".format(remote))
    return remote.rstrip("/") + "/" + what


def _state_files(root):
    return sorted(p for p in root.rglob("*") if p.name in STATE_FILES and p.is_file() and ".staging" not in p.parts)


def _filters(patterns, flag="--exclude"):
    arguments = []
    for pattern in patterns:
        arguments += [flag, pattern]
    return arguments


def _audio_outside(dataset):
    """(table, line, path, how many) for the first row of DATASET's CSVs naming audio outside the dataset folder (an
    import of a CSV set uses audio already in the engine's format where it is), or None."""
    found, root = None, os.path.normpath(str(dataset))
    for table in sorted(dataset.glob("*.csv")):
        if table.name == "rejected.csv":
            continue
        with open(str(table), newline="", encoding="utf-8") as handle:
            for line, row in enumerate(csv.DictReader(handle), start=2):
                name = row.get("wav_filename") or ""
                if not os.path.isabs(name) and ".." not in name:
                    continue  # relative and inside: the usual row, decided without touching the file system
                path = os.path.normpath(os.path.join(root, name))
                if not path.startswith(root + os.sep):
                    found = found or [table.name, line, path, 0]
                    found[3] += 1
    return found


def _require_self_contained(local, folder):
    """A dataset pushed without its audio would be CSVs naming files no other machine has: refused before a copy."""
    top = folder.split("/")[0]
    if top != "datasets" or not local.is_dir():
        return
    for dataset in [local] if folder != "datasets" else sorted(p for p in local.iterdir() if p.is_dir()):
        outside = _audio_outside(dataset)
        if outside:
            table, line, path, count = outside
            raise UserError("sync push {}: {}/{} line {} names audio outside the dataset ({}{}), which the bucket would not "
                            "get; import it again with `playbook import csv ... --copy-audio` so that its audio is inside it."
                            .format(folder, dataset.relative_to(settings.DATA_ROOT), table, line, path,
                                    ", and {} more rows".format(count - 1) if count > 1 else ""))


def push(remote, what=DEFAULT_WHAT, delete=False):
    """Copy (with DELETE: make identical) the data volume's WHAT folders to REMOTE."""
    moved = []
    for folder in what:
        _require_self_contained(settings.DATA_ROOT / folder, folder)
    for folder in what:
        local, target = settings.DATA_ROOT / folder, _remote_path(remote, folder)
        if not local.is_dir():
            continue
        started = time.time()
        # 1. Everything except the state files; checkpoint files never change once written, so --checksum skips them.
        stats = _run(["sync" if delete else "copy", str(local), target, "--checksum"]
                     + _filters(STATE_FILES + ALWAYS_EXCLUDED), "push " + folder)
        # 2. Each state file as read now, after the files of the checkpoint it names (a run may have saved a newer
        #    checkpoint since step 1).
        for state in _state_files(local):
            text = state.read_text()
            named = STATE_LINE.search(text)
            relative = state.parent.relative_to(local)
            if named:
                _run(["copy", str(state.parent), "{}/{}".format(target, relative.as_posix()), "--checksum",
                      "--include", named.group(1) + ".*"], "push " + folder)
            result = subprocess.run([rclone(), "rcat", "{}/{}".format(target, state.relative_to(local).as_posix())],
                                    input=text, universal_newlines=True, stderr=subprocess.PIPE)
            if result.returncode != 0:
                raise UserError("sync push {}: rclone could not write {}: {}".format(folder, state.relative_to(local),
                                                                                  result.stderr.strip().splitlines()[-1:]))
            stats["transfers"] = stats.get("transfers", 0) + 1
            stats["bytes"] = stats.get("bytes", 0) + len(text.encode())
        # 3. Verify by checksum what was there when the push started (a run still training adds files). The state
        #    files are left out: step 2 wrote exactly the text it read, and the remote copy is newer than --min-age.
        age = "{}s".format(max(1, int(time.time() - started) + 1))
        checked = _run(["check", str(local), target, "--one-way", "--checksum", "--min-age", age]
                       + _filters(STATE_FILES + ALWAYS_EXCLUDED), "verify " + folder)
        moved.append(_report("pushed", folder, stats, time.time() - started, checked))
    return moved


def pull(remote, what=DEFAULT_WHAT, update=False):
    """Copy REMOTE's WHAT folders onto the data volume; a local file that differs stops the pull unchanged, or
    with UPDATE is replaced when the bucket's copy is newer (and kept when it is older)."""
    moved, mode = [], ["--update"] if update else ["--immutable"]
    for folder in what:
        local, source = settings.DATA_ROOT / folder, _remote_path(remote, folder)
        started, existed = time.time(), local.exists()
        local.mkdir(parents=True, exist_ok=True)
        # State files last, so that an interrupted pull never names a checkpoint it has not brought.
        stats = _run(["copy", source, str(local), "--checksum"] + mode + _filters(STATE_FILES + ALWAYS_EXCLUDED),
                     "pull " + folder, folder + "/", missing_ok=True)
        states = _run(["copy", source, str(local), "--checksum"] + mode + _filters(STATE_FILES, "--include"),
                      "pull " + folder, folder + "/", missing_ok=True)
        for key in ("transfers", "bytes"):
            stats[key] = stats.get(key, 0) + states.get(key, 0)
        if not existed and not any(local.iterdir()):
            local.rmdir()  # nothing there yet (a first cloud job): an empty run folder would read as a broken run
        moved.append(_report("pulled", folder, stats, time.time() - started))
    return moved


def _report(verb, folder, stats, seconds, checked=None):
    row = {"folder": folder, "action": verb, "objects": stats.get("transfers", 0), "bytes": stats.get("bytes", 0),
           "seconds": round(seconds, 2)}
    if checked is not None:
        row["verified"] = checked.get("checks", 0)
    print("{} {}: {} objects, {:.1f} MB in {:.1f} s{}".format(
        verb, folder, row["objects"], row["bytes"] / 1e6, seconds,
        ", {} files verified by checksum".format(row["verified"]) if checked is not None else ""), file=sys.stderr, flush=True)
    return row


def sync(direction, remote, what=(), delete=False, update=False):
    """`playbook sync push|pull`: WHAT (default: DEFAULT_WHAT) moved, and a summary of it."""
    for item in what or ():
        if item.startswith("/") or ".." in item.split("/"):
            raise UserError("sync: '{}' must be a folder of the data volume such as runs or runs/demo.".format(item))
    if delete and direction == "pull":
        raise UserError("sync pull never deletes local files; --delete is for push only.")
    if update and direction == "push":
        raise UserError("sync push copies what differs already; --update is for pull only.")
    what = what or DEFAULT_WHAT
    rows = push(remote, what, delete=delete) if direction == "push" else pull(remote, what, update=update)
    return {"direction": direction, "objects": sum(r["objects"] for r in rows), "bytes": sum(r["bytes"] for r in rows),
            "folders": rows}
