"""The run store: named runs on the data volume and their checkpoints.

RUNS/<run>/
  run.json            what the run is: dataset, alphabet, engine and its version, source run
  config.toml         the exact resolved hyperparameters (playbook/config.py)
  alphabet.txt        the labels its output layer was trained for
  invocations.jsonl   append-only: one line when an engine command starts, one when it ends
  epochs.jsonl        train and dev loss of every epoch, across invocations
  loss.png            training curves
  checkpoints/        the engine's train-N and best_dev-N checkpoints, summaries/ (TensorBoard)
  kept/               best-dev checkpoints a resume would otherwise have replaced
  evaluations/        one JSON report per evaluate
A run imported from a released checkpoint (`playbook import-checkpoint`) has `"kind": "imported"`
and is read-only: it is only ever a source (finetune, transfer), evaluated or exported.
"""
import contextlib
import fcntl
import json
import os
import re
import shutil
import time
import uuid
from pathlib import Path

from stt_device import alphabet as alphabets
from .. import config as configuration
from .. import settings
from ..data import shards, validate
from ..errors import UserError

STATE_LINE = re.compile(r'^model_checkpoint_path: "(?:.*/)?([a-z_]+-\d+)"', re.M)
CHECKPOINT_NAME = re.compile(r"^(?:kept/)?(train|best_dev)-(\d+)$")


def now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def run_dir(name):
    if not re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*$", name or ""):
        raise UserError("run name '{}' may hold only letters, digits, '.', '_' and '-'.".format(name))
    return settings.RUNS / name


@contextlib.contextmanager
def lock(name, command_line):
    """Hold run NAME for one command: a second command that would write the same run is refused, naming the first.
    An advisory lock (flock) on RUNS/.locks/NAME: the kernel drops it when its holder ends, even by SIGKILL."""
    run_dir(name)  # a valid name
    locks = settings.RUNS / ".locks"
    locks.mkdir(parents=True, exist_ok=True)
    with open(str(locks / name), "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "a command"
            raise UserError("run '{}' is in use by another command ({}); wait for it to finish (or stop it), then run "
                            "this one again.".format(name, holder))
        handle.seek(0)
        handle.truncate()
        handle.write("pid {}: {}".format(os.getpid(), command_line))
        handle.flush()
        yield


def labels(alphabet_path):
    return alphabets.labels(alphabet_path)


def meta(run):
    return json.loads((run / "run.json").read_text())


def load_run(name):
    run = run_dir(name)
    if not (run / "run.json").is_file():
        raise UserError("there is no run named '{}' in {}; start one with `make train RUN={}`.".format(name, settings.RUNS, name))
    return run, configuration.resolve(config_file=run / "config.toml")


def require_writable(run):
    """Imported runs are a released model as it was: training writes to a new run made from them."""
    if meta(run).get("kind") == "imported":
        raise UserError("run '{}' is an imported checkpoint and stays as it was; train on from it with "
                        "`playbook finetune --from {} --run NEW` (or transfer).".format(run.name, run.name))


def engine_of(run):
    """'coqui-stt-training 1.4.0': the engine (and version) that trained RUN."""
    record = meta(run)
    return " ".join(filter(None, [record.get("engine"), record.get("engine_version")])) or "unknown"


def trained_with_cudnn(run):
    """Whether RUN's checkpoints hold CuDNN's LSTM layout (release checkpoints; train_cudnn runs)."""
    record = meta(run)
    if "cudnn" in record:
        return bool(record["cudnn"])
    return bool(configuration.resolve(config_file=run / "config.toml")["train_cudnn"])


def require_new(name):
    """The folder a new run NAME gets; refused when that run exists (it is never written over)."""
    run = run_dir(name)
    if run.exists():
        raise UserError("run '{}' already exists in {}; continue it with `make resume RUN={}` or pick a new RUN name.".format(
            name, run, name))
    return run


def dataset_named(dataset):
    """DATASET as a run records it (run.json's "dataset"): a folder as its absolute path; a `pipe:` source as its
    text, which is no path."""
    return str(dataset) if str(dataset).startswith("pipe:") else str(Path(dataset).resolve())


def new_run(name, dataset, config, kind, engine, source=None):
    """RUN's folder, for a DATASET whose rows the caller has checked."""
    run = require_new(name)
    dataset = dataset_named(dataset)
    files = dataset_files(dataset, check=False)
    run.mkdir(parents=True)
    shutil.copy(str(files["alphabet"]), str(run / "alphabet.txt"))
    (run / "config.toml").write_text(configuration.to_toml(config))
    record = {"run": name, "kind": kind, "created": now(), "dataset": str(dataset), "engine": engine.name,
              "engine_version": engine.version()}
    if source:
        record["source"] = source
    (run / "run.json").write_text(json.dumps(record, indent=2) + "\n")
    return run


def dataset_files(dataset, need=("train", "dev"), alphabet=None, check=True):
    """The dataset's CSVs and alphabet. With CHECK, every row of the NEEDed CSVs is checked against ALPHABET
    (default: the dataset's own) from the WAV headers: a row the engine would stop on is named before
    TensorFlow starts."""
    if shards.is_source(dataset):  # checked when the shards were written (playbook/data/shards.py)
        shards.if_engine_cannot_read()
        return shards.source_files(dataset, need)
    dataset = Path(dataset)
    files = {split: dataset / "{}.csv".format(split) for split in ("train", "dev", "test")}
    files["alphabet"] = dataset / "alphabet.txt"
    for key in list(need) + ["alphabet"]:
        if not files[key].is_file():
            raise UserError("{} is missing; create the sample with `make sample` or point --dataset at a folder with "
                            "{}.csv files and alphabet.txt.".format(files[key], ".csv, ".join(need)))
    if check:
        validate.require_trainable([files[split] for split in need], labels(alphabet or files["alphabet"]))
    return files


# --- checkpoints --------------------------------------------------------------------------

def checkpoint_name(checkpoint_dir, state_file):
    """The checkpoint a TensorFlow state file names ('train-1080'), or None."""
    path = Path(checkpoint_dir) / state_file
    if not path.is_file():
        return None
    match = STATE_LINE.search(path.read_text())
    return match.group(1) if match else None


def checkpoint_step(checkpoint_dir, state_file):
    name = checkpoint_name(checkpoint_dir, state_file)
    return int(name.rsplit("-", 1)[1]) if name else None


def list_checkpoints(run):
    found = []
    for folder in ("checkpoints", "kept"):
        for index in sorted((run / folder).glob("*.index")):
            name = index.name[:-len(".index")]
            match = CHECKPOINT_NAME.match(name)
            if not match:
                continue
            files = list((run / folder).glob(name + ".*"))
            found.append({"checkpoint": name if folder == "checkpoints" else "kept/" + name, "kind": match.group(1),
                          "step": int(match.group(2)), "bytes": sum(f.stat().st_size for f in files),
                          "saved": time.strftime("%Y-%m-%d %H:%M", time.gmtime(index.stat().st_mtime))})
    return sorted(found, key=lambda c: (c["step"], c["checkpoint"]))


def link(source, target):
    """Hard-link (no extra disk, survives the engine unlinking the original); copy across file systems."""
    try:
        os.link(str(source), str(target))
    except OSError:
        shutil.copy2(str(source), str(target))


def stage_checkpoint(run, checkpoint):
    """(load dir, load method, checkpoint name) for 'best', 'last' or a named checkpoint such as
    'train-1053' or 'kept/best_dev-1080'.

    A named checkpoint is hard-linked into a staging folder whose state file names it,
    so the engine loads exactly that one and never writes next to the run's own files.
    """
    if checkpoint in ("best", "last"):
        state = "best_dev_checkpoint" if checkpoint == "best" else "checkpoint"
        name = checkpoint_name(run / "checkpoints", state)
        if name is None:
            raise UserError("run '{}' has no {} checkpoint yet; train it first.".format(run.name, checkpoint))
        return run / "checkpoints", checkpoint, name
    if not CHECKPOINT_NAME.match(checkpoint):
        raise UserError("checkpoint '{}' is not one of best, last, train-N, best_dev-N or kept/best_dev-N; "
                        "`playbook checkpoints --run {}` lists them.".format(checkpoint, run.name))
    source = run / ("kept" if checkpoint.startswith("kept/") else "checkpoints")
    name = checkpoint.split("/")[-1]
    files = list(source.glob(name + ".*"))
    if not any(f.name.endswith(".index") for f in files):
        raise UserError("run '{}' has no checkpoint {}; `playbook checkpoints --run {}` lists them.".format(run.name, checkpoint, run.name))
    staging = run / ".staging" / uuid.uuid4().hex[:8]
    staging.mkdir(parents=True)
    for path in files + [run / "checkpoints" / "flags.txt", run / "alphabet.txt"]:
        if path.is_file():
            link(path, staging / path.name)
    (staging / "checkpoint").write_text('model_checkpoint_path: "{0}"\nall_model_checkpoint_paths: "{0}"\n'.format(staging / name))
    return staging, "last", name


def unstage(load_dir):
    if load_dir.parent.name == ".staging":
        shutil.rmtree(str(load_dir), ignore_errors=True)


def keep_best(run):
    """Hard-link the current best-dev checkpoint into RUN/kept/ and return its name.

    The engine forgets the best dev loss between invocations, so the first epoch of
    a resumed run replaces best_dev-N even when it is worse; the links keep the old
    files (rotation unlinks them) at no cost in disk space.
    """
    name = checkpoint_name(run / "checkpoints", "best_dev_checkpoint")
    if name is None:
        return None
    kept = run / "kept"
    kept.mkdir(exist_ok=True)
    for source in (run / "checkpoints").glob(name + ".*"):
        target = kept / source.name
        if not target.exists():
            link(source, target)
    return name


# --- history ----------------------------------------------------------------------------------

def epochs(run):
    path = run / "epochs.jsonl"
    return [json.loads(line) for line in path.open()] if path.is_file() else []


def summary(name):
    run, _ = load_run(name)
    history = epochs(run)
    dev = [e["dev_loss"] for e in history if "dev_loss" in e]
    return {
        "run": name,
        "checkpoints": str(run / "checkpoints"),
        "last_step": checkpoint_step(run / "checkpoints", "checkpoint"),
        "best_dev_step": checkpoint_step(run / "checkpoints", "best_dev_checkpoint"),
        "epochs": len(history),
        "first_dev_loss": dev[0] if dev else None,
        "best_dev_loss": min(dev) if dev else None,
    }


def list_runs():
    rows = []
    for meta_file in sorted(settings.RUNS.glob("*/run.json")):
        run = meta_file.parent
        record = json.loads(meta_file.read_text())
        row = summary(run.name)
        stats = [(p.stat(), p.is_file()) for p in run.rglob("*")]
        row.update({"kind": record.get("kind", "fresh"), "created": record.get("created"),
                    "engine": record.get("engine"),
                    "updated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(max(st.st_mtime for st, _ in stats))),
                    "bytes": sum(st.st_size for st, is_file in stats if is_file)})
        rows.append(row)
    return rows


def folder_bytes(folder):
    return sum(p.stat().st_size for p in Path(str(folder)).rglob("*") if p.is_file()) if Path(str(folder)).is_dir() else 0


def remove(name, confirmed=False, ask=None):
    """`playbook runs rm RUN`: the run's folder and its feature cache (CACHE/<run>, as large as its corpus), once the
    user says so (CONFIRMED, or yes to ASK); never while another command holds the run. Its exports stay: they
    are what you ship, and `rm -r` of EXPORTS/<run> is yours to type."""
    if not name:
        raise UserError("say which run to remove: playbook runs rm RUN (`playbook runs` lists them).")
    run, _ = load_run(name)
    cache = settings.CACHE / name
    size = folder_bytes(run) + folder_bytes(cache)
    what = "run '{}' ({:.1f} MB with its feature cache)".format(name, size / 1e6)
    if not confirmed:
        if ask is None:
            raise UserError("removing {} cannot be undone; say so with --yes.".format(what))
        if ask("remove {}? [y/N] ".format(what)).strip().lower() not in ("y", "yes"):
            return {"run": name, "removed": False}
    with lock(name, "playbook runs rm {}".format(name)):
        # Renamed first: a kill half-way leaves a hidden folder to delete, not half a run under its name.
        doomed = run.with_name("." + name + ".removing")
        os.rename(str(run), str(doomed))
        shutil.rmtree(str(doomed))
        shutil.rmtree(str(cache), ignore_errors=True)
    exports = settings.EXPORTS / name
    return {"run": name, "removed": True, "bytes": size, "exports_kept": str(exports) if exports.exists() else None}
