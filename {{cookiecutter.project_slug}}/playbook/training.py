"""Named training runs on the data volume, driven through the Coqui STT training engine.

A run lives in RUNS/<name>: `run.json` (what it was trained on and with which
geometry), `checkpoints/` (the engine's `train-N` and `best_dev-N` files),
`summaries/` (TensorBoard) and `invocations.jsonl` (one line per command).
Exports go to EXPORTS/<name>/<checkpoint>/ and are never overwritten.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from . import settings
from .errors import UserError

def run_dir(name):
    if not re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*$", name):
        raise UserError("run name '{}' may hold only letters, digits, '.', '_' and '-'.".format(name))
    return settings.RUNS / name


def checkpoint_step(checkpoint_dir, state_file):
    """The global step of the checkpoint named in a TensorFlow checkpoint state file, or None."""
    path = Path(checkpoint_dir) / state_file
    if not path.is_file():
        return None
    match = re.search(r'^model_checkpoint_path: "(?:.*/)?([a-z_]+)-(\d+)"', path.read_text(), re.M)
    return int(match.group(2)) if match else None


def _engine(module, flags, run):
    python = settings.EXPORT_PYTHON if module == "export" else sys.executable
    flags = {key: [str(v) for v in value] if isinstance(value, list) else str(value) for key, value in flags.items()}
    command = [python, "-m", "coqui_stt_training." + module]
    for key, value in flags.items():
        command += ["--" + key] + (value if isinstance(value, list) else [value])
    started = time.time()
    print("$ " + " ".join(command), flush=True)
    code = subprocess.call(command)
    with open(str(run / "invocations.jsonl"), "a") as log:
        log.write(json.dumps({"started": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(started)), "seconds": round(time.time() - started, 1),
                              "module": module, "exit_code": code, "flags": flags,
                              "last_step": checkpoint_step(run / "checkpoints", "checkpoint")}) + "\n")
    if code != 0:
        raise UserError("the engine's {} step failed with exit code {}; its messages are above.".format(module, code))


def _dataset_files(dataset):
    dataset = Path(dataset)
    files = {split: dataset / "{}.csv".format(split) for split in ("train", "dev", "test")}
    files["alphabet"] = dataset / "alphabet.txt"
    missing = [str(path) for key, path in files.items() if key != "test" and not path.is_file()]
    if missing:
        raise UserError("{} is missing; create the sample with `make sample` or point --dataset at a folder with "
                        "train.csv, dev.csv and alphabet.txt.".format(missing[0]))
    return files


def _training_flags(config, run, epochs, load_train):
    files = _dataset_files(config["dataset"])
    return {
        "train_files": [files["train"]],
        "dev_files": [files["dev"]],
        "alphabet_config_path": files["alphabet"],
        "checkpoint_dir": run / "checkpoints",
        "summary_dir": run / "summaries",
        "load_train": load_train,
        "epochs": epochs,
        "n_hidden": config["n_hidden"],
        "train_batch_size": config["train_batch_size"],
        "dev_batch_size": config["dev_batch_size"],
        "learning_rate": config["learning_rate"],
        "dropout_rate": config["dropout_rate"],
        "random_seed": config["random_seed"],
        "checkpoint_secs": config["checkpoint_secs"],
        "max_to_keep": config["max_to_keep"],
        "early_stop": "false",
        "skip_batch_test": "true",
        "show_progressbar": "false",
    }


def train(name, dataset, overrides):
    run = run_dir(name)
    if run.exists():
        raise UserError("run '{}' already exists in {}; continue it with `make resume RUN={}` or pick a new RUN name.".format(
            name, run, name))
    config = dict(settings.TRAIN_DEFAULTS)
    config.update({k: v for k, v in overrides.items() if v is not None})
    config["dataset"] = str(Path(dataset).resolve())
    _dataset_files(config["dataset"])
    run.mkdir(parents=True)
    (run / "run.json").write_text(json.dumps(config, indent=2) + "\n")
    shutil.copy(str(Path(config["dataset"]) / "alphabet.txt"), str(run / "alphabet.txt"))
    _engine("train", _training_flags(config, run, config["epochs"], "init"), run)
    return summary(name)


def load_run(name):
    run = run_dir(name)
    if not (run / "run.json").is_file():
        raise UserError("there is no run named '{}' in {}; start one with `make train RUN={}`.".format(name, settings.RUNS, name))
    return run, json.loads((run / "run.json").read_text())


def keep_best(run):
    """Hard-link the current best-dev checkpoint into RUN/kept/ and return its name.

    The engine forgets the best dev loss between invocations, so the first epoch of
    a resumed run replaces best_dev-N even when it is worse; the links keep the old
    files (rotation unlinks them) at no cost in disk space.
    """
    step = checkpoint_step(run / "checkpoints", "best_dev_checkpoint")
    if step is None:
        return None
    kept = run / "kept"
    kept.mkdir(exist_ok=True)
    for source in (run / "checkpoints").glob("best_dev-{}.*".format(step)):
        target = kept / source.name
        if not target.exists():
            try:
                os.link(str(source), str(target))
            except OSError:
                shutil.copy2(str(source), str(target))
    return "best_dev-{}".format(step)


def resume(name, epochs=None):
    run, config = load_run(name)
    if checkpoint_step(run / "checkpoints", "checkpoint") is None:
        raise UserError("run '{}' has no saved checkpoint to resume from; start it again under a new name.".format(name))
    kept = keep_best(run)
    if kept:
        print("kept {} in {} (the engine may replace best_dev during this resume)".format(kept, run / "kept"), flush=True)
    _engine("train", _training_flags(config, run, epochs or config["resume_epochs"], "last"), run)
    return summary(name)


def summary(name):
    run, _ = load_run(name)
    return {
        "run": name,
        "checkpoints": str(run / "checkpoints"),
        "last_step": checkpoint_step(run / "checkpoints", "checkpoint"),
        "best_dev_step": checkpoint_step(run / "checkpoints", "best_dev_checkpoint"),
    }


def export(name, checkpoint="best"):
    run, config = load_run(name)
    state_file = {"best": "best_dev_checkpoint", "last": "checkpoint"}[checkpoint]
    step = checkpoint_step(run / "checkpoints", state_file)
    if step is None:
        raise UserError("run '{}' has no {} checkpoint yet; train it first.".format(name, checkpoint))
    target = settings.EXPORTS / name / "{}-{}".format(checkpoint, step)
    if target.exists():
        raise UserError("{} already holds an export of this checkpoint; it is kept as it is (remove it yourself to export again).".format(target))
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(str(partial), ignore_errors=True)
    partial.mkdir(parents=True)
    _engine("export", {
        "checkpoint_dir": run / "checkpoints",
        "load_evaluate": checkpoint,
        "alphabet_config_path": run / "alphabet.txt",
        "n_hidden": config["n_hidden"],
        "export_dir": partial,
        "export_tflite": "true",
        "show_progressbar": "false",
    }, run)
    model = partial / "output_graph.tflite"
    if not model.is_file():
        raise UserError("the engine finished but wrote no {}; its messages are above.".format(model.name))
    shutil.copy(str(run / "alphabet.txt"), str(partial / "alphabet.txt"))
    (partial / "export.json").write_text(json.dumps({"run": name, "checkpoint": checkpoint, "step": step,
                                                     "n_hidden": config["n_hidden"]}, indent=2) + "\n")
    partial.rename(target)
    return {"run": name, "model": str(target / "output_graph.tflite"), "model_bytes": (target / "output_graph.tflite").stat().st_size,
            "step": step}


def latest_export(name):
    exports = sorted((settings.EXPORTS / name).glob("*/output_graph.tflite"), key=lambda p: p.stat().st_mtime)
    if not exports:
        raise UserError("run '{}' has no export in {}; run `make export RUN={}` first.".format(name, settings.EXPORTS / name, name))
    return exports[-1]
