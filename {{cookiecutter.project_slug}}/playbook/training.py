"""Named training runs on the data volume, driven through the Coqui STT training engine.

RUNS/<run>/
  run.json            what the run is: dataset, alphabet, engine version, source run (fine-tune/transfer)
  config.toml         the exact resolved hyperparameters (playbook/config.py)
  alphabet.txt        the labels its output layer was trained for
  invocations.jsonl   append-only: one line when a command starts, one when it ends
  epochs.jsonl        train and dev loss of every epoch, across invocations
  loss.png            training curves
  checkpoints/        the engine's train-N and best_dev-N checkpoints, summaries/ (TensorBoard)
  kept/               best-dev checkpoints a resume would otherwise have replaced
  evaluations/        one JSON report per evaluate
Exports go to EXPORTS/<run>/<checkpoint>/ and are never overwritten.
"""
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

from stt_device import alphabet as alphabets
from . import augment
from . import config as configuration
from .data import validate
from . import settings
from .errors import UserError

TRAIN_LINE = re.compile(r"Finished training epoch (\d+) - loss: ([0-9.eE+-]+|nan|inf)")
DEV_LINE = re.compile(r"Finished validating epoch (\d+) on .* - loss: ([0-9.eE+-]+|nan|inf)")
STATE_LINE = re.compile(r'^model_checkpoint_path: "(?:.*/)?([a-z_]+-\d+)"', re.M)
CHECKPOINT_NAME = re.compile(r"^(?:kept/)?(train|best_dev)-(\d+)$")


def now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def run_dir(name):
    if not re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*$", name or ""):
        raise UserError("run name '{}' may hold only letters, digits, '.', '_' and '-'.".format(name))
    return settings.RUNS / name


def engine_version():
    import importlib.util
    spec = importlib.util.find_spec("coqui_stt_training")
    if spec is None or not spec.origin:
        return "not installed"
    return Path(spec.origin).with_name("VERSION").read_text().strip()


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


def _link(source, target):
    """Hard-link (no extra disk, survives the engine unlinking the original); copy across file systems."""
    try:
        os.link(str(source), str(target))
    except OSError:
        shutil.copy2(str(source), str(target))


def _stage_checkpoint(run, checkpoint):
    """(load dir, load method) for 'best', 'last' or a named checkpoint such as 'train-1053' or 'kept/best_dev-1080'.

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
            _link(path, staging / path.name)
    (staging / "checkpoint").write_text('model_checkpoint_path: "{0}"\nall_model_checkpoint_paths: "{0}"\n'.format(staging / name))
    return staging, "last", name


def _unstage(load_dir):
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
            _link(source, target)
    return name


# --- the engine -----------------------------------------------------------------------------

def _log(run, entry):
    with open(str(run / "invocations.jsonl"), "a") as log:
        log.write(json.dumps(entry) + "\n")


def _epoch_offset(run):
    path = run / "epochs.jsonl"
    return sum(1 for line in path.open() if '"train_loss"' in line) if path.is_file() else 0


def _engine(module, flags, run, command_line, config=None, env=None):
    """Run one engine module; stream its output, record the epochs and the invocation. Returns the output."""
    flags = {key: [str(v) for v in value] if isinstance(value, list) else str(value) for key, value in flags.items()}
    python = settings.EXPORT_PYTHON if module == "export" else sys.executable
    command = [python, "-u", "-m", module if module.startswith("playbook.") else "coqui_stt_training." + module]
    for key, value in flags.items():
        command += ["--" + key] + (value if isinstance(value, list) else [value])
    invocation = uuid.uuid4().hex[:8]
    start_step = checkpoint_step(run / "checkpoints", "checkpoint")
    _log(run, {"event": "start", "invocation": invocation, "time": now(), "command": command_line, "engine_module": module,
               "config_hash": configuration.digest(config) if config else None, "start_step": start_step})
    print("$ " + " ".join(command), flush=True)
    started, offset, epochs = time.time(), _epoch_offset(run), {}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, bufsize=1,
                               env=dict(os.environ, **(env or {})))
    output = []
    with open(str(run / "epochs.jsonl"), "a") as epoch_log:
        for line in process.stdout:
            output.append(line)
            sys.stdout.write(line)
            sys.stdout.flush()
            train, dev = TRAIN_LINE.search(line), DEV_LINE.search(line)
            if train:
                epochs[int(train.group(1))] = {"epoch": offset + int(train.group(1)), "invocation": invocation,
                                               "train_loss": float(train.group(2))}
            if dev and int(dev.group(1)) in epochs:
                record = epochs.pop(int(dev.group(1)))
                record["dev_loss"] = float(dev.group(2))
                epoch_log.write(json.dumps(record) + "\n")
                epoch_log.flush()
        for record in epochs.values():  # epochs without validation (no dev set)
            epoch_log.write(json.dumps(record) + "\n")
    code = process.wait()
    _log(run, {"event": "end", "invocation": invocation, "time": now(), "exit_code": code,
               "seconds": round(time.time() - started, 1), "end_step": checkpoint_step(run / "checkpoints", "checkpoint")})
    if code != 0:
        raise UserError("the engine's {} step failed with exit code {}; its messages are above.".format(module, code))
    return "".join(output)


def _dataset_files(dataset, need=("train", "dev"), alphabet=None, check=True):
    """The dataset's CSVs and alphabet. With CHECK, every row of the NEEDed CSVs is checked against ALPHABET
    (default: the dataset's own) from the WAV headers: a row the engine would stop on is named before
    TensorFlow starts."""
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


def labels(alphabet_path):
    return alphabets.labels(alphabet_path)


def engine_flags(config, run):
    """Config keys -> engine flags."""
    flags = {}
    for name, key in configuration.KEYS.items():
        if not key.flag or not key.flag.startswith("--") or " " in key.flag or name == "augment":
            continue
        value = config[name]
        if name == "feature_cache":
            if value:
                # TensorFlow writes the cache files under this prefix; their folder must exist.
                (settings.CACHE / run.name).mkdir(parents=True, exist_ok=True)
                flags["feature_cache"] = settings.CACHE / run.name / "features"
            continue
        if name.startswith("export_") or name == "test_batch_size":
            continue
        flags[key.flag[2:]] = str(value).lower() if isinstance(value, bool) else value
    if config["augment"]:
        check_augmentations(config)
        warning = augment.cache_warning(config)
        if warning:
            print("warning: " + warning, file=sys.stderr, flush=True)
        flags["augment"] = list(config["augment"])
    return flags


def check_augmentations(config):
    """What the engine would only find out in a data-loading worker: an overlay source that is not there."""
    missing = [source for source in augment.sources(config["augment"]) if not Path(source).is_file()]
    if missing:
        raise UserError("augment: the overlay source {} does not exist; {}.".format(missing[0], (
            "make it with `playbook noise`" if missing[0] == augment.SYNTHETIC_NOISE else
            "make one from your own audio with `playbook noise --from FOLDER`")))


def _training_flags(run, config, epochs, load_train, load_dir=None, check=False):
    """CHECK the dataset's rows first (resume; a new run's were checked before its folder was made)."""
    meta = json.loads((run / "run.json").read_text())
    files = _dataset_files(meta["dataset"], alphabet=run / "alphabet.txt", check=check)
    flags = {"train_files": [files["train"]], "dev_files": [files["dev"]], "alphabet_config_path": run / "alphabet.txt"}
    if load_dir is None:
        flags["checkpoint_dir"] = run / "checkpoints"
    else:
        flags.update({"load_checkpoint_dir": load_dir, "save_checkpoint_dir": run / "checkpoints"})
    flags.update({"summary_dir": run / "checkpoints" / "summaries", "load_train": load_train})
    flags.update(engine_flags(config, run))
    flags.update({"epochs": epochs, "skip_batch_test": "true", "show_progressbar": "false"})
    return flags


def _new_run(name, dataset, config, kind, source=None):
    run = run_dir(name)
    if run.exists():
        raise UserError("run '{}' already exists in {}; continue it with `make resume RUN={}` or pick a new RUN name.".format(
            name, run, name))
    dataset = Path(dataset).resolve()
    files = _dataset_files(dataset)
    run.mkdir(parents=True)
    shutil.copy(str(files["alphabet"]), str(run / "alphabet.txt"))
    (run / "config.toml").write_text(configuration.to_toml(config))
    meta = {"run": name, "kind": kind, "created": now(), "dataset": str(dataset), "engine": "coqui-stt-training " + engine_version()}
    if source:
        meta["source"] = source
    (run / "run.json").write_text(json.dumps(meta, indent=2) + "\n")
    return run


def load_run(name):
    run = run_dir(name)
    if not (run / "run.json").is_file():
        raise UserError("there is no run named '{}' in {}; start one with `make train RUN={}`.".format(name, settings.RUNS, name))
    return run, configuration.resolve(config_file=run / "config.toml")


def _after_training(run):
    try:
        write_curves(run)
    except Exception as error:  # a missing plot must not fail a finished training
        print("note: no loss curves ({})".format(error), flush=True)
    return summary(run.name)


# --- commands -------------------------------------------------------------------------------

def train(name, dataset, config_file=None, overrides=(), command_line=""):
    config = configuration.resolve(config_file=config_file, overrides=overrides)
    check_augmentations(config)
    run = _new_run(name, dataset, config, "fresh")
    _engine("train", _training_flags(run, config, config["epochs"], "init"), run, command_line, config)
    return _after_training(run)


def resume(name, load="last", epochs=None, command_line=""):
    run, config = load_run(name)
    if checkpoint_step(run / "checkpoints", "checkpoint") is None:
        raise UserError("run '{}' has no saved checkpoint to resume from; start it again under a new name.".format(name))
    kept = keep_best(run)
    if kept:
        print("kept {} in {} (the engine may replace best_dev during this resume)".format(kept, run / "kept"), flush=True)
    _engine("train", _training_flags(run, config, epochs or config["resume_epochs"], load, check=True), run, command_line, config)
    return _after_training(run)


def check_compatible(source, target_labels, config, kind):
    """Refuse, before TensorFlow starts, what the engine would fail on (or silently change)."""
    source_run, source_config = load_run(source)
    if config["n_hidden"] != source_config["n_hidden"]:
        raise UserError("run '{}' was trained with n_hidden {}, not {}: checkpoints only load into the same width, "
                        "so drop the n_hidden setting (or train a fresh run).".format(source, source_config["n_hidden"], config["n_hidden"]))
    source_labels = labels(source_run / "alphabet.txt")
    flags_file = source_run / "checkpoints" / "flags.txt"
    if flags_file.is_file():
        trained = json.loads(flags_file.read_text())
        if trained.get("train_cudnn") and not config.get("load_cudnn"):
            raise UserError("run '{}' was trained with CuDNN (train_cudnn): on a CPU add --set load_cudnn=true, "
                            "on a GPU --set train_cudnn=true.".format(source))
    if kind == "finetune" and target_labels != source_labels:
        raise UserError("the new alphabet has {} labels and run '{}' has {}: fine-tuning needs the same alphabet, "
                        "so use `playbook transfer` to learn a new one.".format(len(target_labels), source, len(source_labels)))
    if kind == "transfer" and target_labels == source_labels:
        print("note: the alphabet is the same as run '{}'s; `playbook finetune` keeps the output layer too.".format(source), flush=True)
    return source_run, source_config


def finetune(source, name, dataset, config_file=None, overrides=(), load="best", command_line=""):
    """A new run seeded from SOURCE's weights: same alphabet and width, new data, lower learning rate."""
    _, source_config = load_run(source)
    base = dict(source_config)
    base["learning_rate"] = source_config["learning_rate"] / 10.0
    config = configuration.resolve(base=base, config_file=config_file, overrides=overrides)
    check_augmentations(config)
    target_labels = labels(_dataset_files(dataset, check=False)["alphabet"])
    source_run, _ = check_compatible(source, target_labels, config, "finetune")
    load_dir, method, loaded = _stage_checkpoint(source_run, load)
    run = _new_run(name, dataset, config, "finetune", source={"run": source, "checkpoint": loaded})
    flags = _training_flags(run, config, config["epochs"], method, load_dir=load_dir)
    # The learning rate is a variable in the checkpoint; without this the source's rate would be restored.
    flags["force_initialize_learning_rate"] = "true"
    try:
        _engine("train", flags, run, command_line, config)
    finally:
        _unstage(load_dir)
    return _after_training(run)


def transfer(source, name, dataset, drop_layers=1, config_file=None, overrides=(), load="best", command_line=""):
    """A new run for a new alphabet: SOURCE's weights without its last DROP_LAYERS layers."""
    if not 1 <= drop_layers <= 5:
        raise UserError("--drop-layers must be 1 to 5 (1 drops the output layer only), not {}.".format(drop_layers))
    _, source_config = load_run(source)
    config = configuration.resolve(base=source_config, config_file=config_file, overrides=overrides)
    check_augmentations(config)
    target_labels = labels(_dataset_files(dataset, check=False)["alphabet"])
    source_run, _ = check_compatible(source, target_labels, config, "transfer")
    load_dir, method, loaded = _stage_checkpoint(source_run, load)
    run = _new_run(name, dataset, config, "transfer", source={"run": source, "checkpoint": loaded, "drop_layers": drop_layers})
    flags = _training_flags(run, config, config["epochs"], method, load_dir=load_dir)
    flags.update({"drop_source_layers": drop_layers, "force_initialize_learning_rate": "true"})
    try:
        _engine("train", flags, run, command_line, config)
    finally:
        _unstage(load_dir)
    return _after_training(run)


def check_scorer(run, scorer_path):
    """The package, after the engine's own decoder loaded it and it proved to fit the run's alphabet."""
    from coqui_stt_ctcdecoder import Alphabet, Scorer
    from . import scorer as packages
    package = packages.read_package(scorer_path)
    decoder_scorer = Scorer()
    code = decoder_scorer.init_from_filepath(str(scorer_path).encode("utf-8"), Alphabet(str(run / "alphabet.txt")))
    if code != 0:
        raise UserError("{}: the engine's decoder refused it (error 0x{:X}); rebuild it with `playbook lm`.".format(scorer_path, code))
    packages.check_alphabet(package, alphabets.labels(run / "alphabet.txt"),
                            lambda word: decoder_scorer.get_log_cond_prob([word.encode("utf-8")], False, False) > OOV_SCORE)
    return package


OOV_SCORE = -999.0  # the decoder's log probability for a word its language model does not know is -1000


def _decoder_flags(run, scorer, alpha, beta, beam_width, hot_words):
    """Engine flags and a short label for how evaluate decodes."""
    flags = {"export_beam_width": beam_width or EVALUATE_BEAM_WIDTH}
    if scorer is None:
        if alpha is not None or beta is not None or hot_words:
            raise UserError("--alpha, --beta and --hot-words need a scorer: pass --scorer too.")
        return flags, "no-scorer"
    from . import lm
    path = lm.resolve_scorer(scorer)
    package = check_scorer(run, path)
    # The engine would use its own lm_alpha/lm_beta defaults, not the package's.
    alpha = package.alpha if alpha is None else alpha
    beta = package.beta if beta is None else beta
    flags.update(scorer_path=path, lm_alpha=alpha, lm_beta=beta)
    label = "{}-a{:.3f}-b{:.3f}{}".format(path.parent.name if path.name == lm.PACKAGE else path.stem, alpha, beta,
                                         "-hot" if hot_words else "")
    return flags, label


EVALUATE_BEAM_WIDTH = 500  # the engine's export_beam_width default, which its evaluate uses


def evaluate(name, checkpoint="best", dataset=None, command_line="", scorer=None, alpha=None, beta=None,
             beam_width=None, hot_words=None, test_split="test", check=True):
    """WER/CER of one checkpoint on a test set, with the best, median and worst samples. CHECK the test
    set's rows first (tune-scorer checks its sets once and evaluates three times)."""
    run, config = load_run(name)
    dataset = Path(dataset or json.loads((run / "run.json").read_text())["dataset"])
    test_csv = _dataset_files(dataset, need=(test_split,), alphabet=run / "alphabet.txt", check=check)[test_split]
    decoder_flags, decoder = _decoder_flags(run, scorer, alpha, beta, beam_width, hot_words)
    load_dir, method, loaded = _stage_checkpoint(run, checkpoint)
    out_dir = run / "evaluations"
    out_dir.mkdir(exist_ok=True)
    stem = "{}-{}{}-{}".format(loaded, dataset.name, "" if test_split == "test" else "-" + test_split, decoder)
    samples_file = out_dir / "{}.samples.json".format(stem)
    flags = {"checkpoint_dir": load_dir, "load_evaluate": method, "test_files": [test_csv],
             "alphabet_config_path": run / "alphabet.txt", "n_hidden": config["n_hidden"],
             "test_batch_size": config["test_batch_size"], "test_output_file": samples_file, "show_progressbar": "false"}
    flags.update(decoder_flags)
    try:
        if hot_words:
            _engine("playbook.engine_evaluate", flags, run, command_line, config,
                    env={"PLAYBOOK_HOT_WORDS": json.dumps(hot_words)})
        else:
            _engine("evaluate", flags, run, command_line, config)
    finally:
        _unstage(load_dir)
    samples = json.loads(samples_file.read_text())
    if not samples:
        raise UserError("{} holds no samples to evaluate; add rows to it or pass another --dataset.".format(test_csv))
    words = sum(s["word_length"] for s in samples) or 1
    chars = sum(s["char_length"] for s in samples) or 1
    ranked = sorted(samples, key=lambda s: (s["wer"], s["cer"]))

    def brief(sample):
        return {"wav": sample["wav_filename"], "reference": sample["src"], "hypothesis": sample["res"],
                "wer": round(sample["wer"], 4), "cer": round(sample["cer"], 4)}

    report = {"run": name, "checkpoint": loaded, "test_set": str(test_csv), "samples": len(samples),
              "decoder": dict({key: str(value) for key, value in decoder_flags.items()}, hot_words=hot_words or {}),
              "wer": round(sum(s["word_distance"] for s in samples) / words, 4),
              "cer": round(sum(s["char_distance"] for s in samples) / chars, 4),
              "loss": round(statistics.mean(s["loss"] for s in samples), 4) if samples else None,
              "best": brief(ranked[0]), "median": brief(ranked[len(ranked) // 2]), "worst": brief(ranked[-1])}
    report_file = out_dir / "{}.json".format(stem)
    report_file.write_text(json.dumps(report, indent=2) + "\n")
    report["report"] = str(report_file)
    return report


BEST_PARAMS = re.compile(r"Best params: lm_alpha=([0-9.eE+-]+) and lm_beta=([0-9.eE+-]+) with WER=([0-9.eE+-]+)")


def tune_scorer(name, scorer, checkpoint="best", trials=20, alpha_max=5, beta_max=5, beam_width=None, command_line=""):
    """Search alpha and beta on the dev set (the engine's Optuna LM optimiser), store the best in the
    package, and report the test set's WER/CER without the scorer, before and after."""
    from . import lm
    from . import scorer as packages
    if trials < 1:
        raise UserError("--trials must be at least 1.")
    run, config = load_run(name)
    path = lm.resolve_scorer(scorer)
    package = check_scorer(run, path)
    dataset = Path(json.loads((run / "run.json").read_text())["dataset"])
    dev_csv = _dataset_files(dataset, need=("dev", "test"), alphabet=run / "alphabet.txt")["dev"]
    common = dict(checkpoint=checkpoint, beam_width=beam_width, command_line=command_line, check=False)
    without = evaluate(name, **common)
    before = evaluate(name, scorer=path, **common)
    load_dir, method, loaded = _stage_checkpoint(run, checkpoint)
    try:
        output = _engine("playbook.engine_lm_optimize", {
            "checkpoint_dir": load_dir, "load_evaluate": method, "test_files": [dev_csv],
            "alphabet_config_path": run / "alphabet.txt", "n_hidden": config["n_hidden"],
            "test_batch_size": config["test_batch_size"], "scorer_path": path, "n_trials": trials,
            "lm_alpha_max": alpha_max, "lm_beta_max": beta_max, "export_beam_width": beam_width or EVALUATE_BEAM_WIDTH,
            "random_seed": config["random_seed"], "show_progressbar": "false"}, run, command_line, config)
    finally:
        _unstage(load_dir)
    found = BEST_PARAMS.search(output)
    if not found:
        raise UserError("the engine's LM optimiser printed no 'Best params' line; its messages are above.")
    alpha, beta, dev_wer = (float(value) for value in found.groups())
    packages.set_defaults(path, alpha, beta)
    after = evaluate(name, scorer=path, **common)
    report = {"run": name, "checkpoint": loaded, "scorer": str(path), "trials": trials, "tuned_on": str(dev_csv),
              "dev_wer_best": round(dev_wer, 4),
              "alpha_before": package.alpha, "beta_before": package.beta, "alpha": alpha, "beta": beta,
              "test": {"without_scorer": {"wer": without["wer"], "cer": without["cer"]},
                       "scorer_before": {"wer": before["wer"], "cer": before["cer"]},
                       "scorer_after": {"wer": after["wer"], "cer": after["cer"]}},
              "wer_without_scorer": without["wer"], "wer_with_scorer": after["wer"],
              "cer_without_scorer": without["cer"], "cer_with_scorer": after["cer"],
              "time": now()}
    # The package's previous defaults stay on record next to it.
    with open(str(path.with_name(path.name + ".tuning.jsonl")), "a") as log:
        log.write(json.dumps(report) + "\n")
    return report


def export(name, checkpoint="best", command_line="", quantize=None, to=None):
    """TFLite model of a checkpoint, with its alphabet and a model card, in EXPORTS/<run>/<checkpoint>[-float]/
    (or the new folder `to`)."""
    run, config = load_run(name)
    quantize = config["export_quantize"] if quantize is None else quantize
    load_dir, method, loaded = _stage_checkpoint(run, checkpoint)
    target = Path(to) if to else settings.EXPORTS / name / (loaded.replace("/", "-") + ("" if quantize else "-float"))
    if target.exists():
        _unstage(load_dir)
        raise UserError("{} already exists{}; it is kept as it is (remove it yourself to export again{}).".format(
            target, "" if to else " and holds an export of this checkpoint", "" if to else ", or pass --to DIR"))
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(str(partial), ignore_errors=True)
    partial.mkdir(parents=True)
    flags = {"checkpoint_dir": load_dir, "load_evaluate": method, "alphabet_config_path": run / "alphabet.txt",
             "n_hidden": config["n_hidden"], "export_dir": partial, "export_tflite": "true", "show_progressbar": "false"}
    flags.update({key: (str(config[key]).lower() if isinstance(config[key], bool) else config[key])
                  for key in configuration.KEYS if key.startswith("export_")})
    flags["export_quantize"] = str(quantize).lower()
    try:
        _engine("export", flags, run, command_line, config)
    finally:
        _unstage(load_dir)
    model = partial / "output_graph.tflite"
    if not model.is_file():
        raise UserError("the engine finished but wrote no {}; its messages are above.".format(model.name))
    shutil.copy(str(run / "alphabet.txt"), str(partial / "alphabet.txt"))
    (partial / "export.json").write_text(json.dumps({"run": name, "checkpoint": loaded, "n_hidden": config["n_hidden"],
                                                     "quantized": quantize, "exported": now()}, indent=2) + "\n")
    _write_model_card(run, config, loaded, partial)
    partial.rename(target)
    return {"run": name, "checkpoint": loaded, "model": str(target / "output_graph.tflite"), "quantized": quantize,
            "model_bytes": (target / "output_graph.tflite").stat().st_size, "step": int(loaded.rsplit("-", 1)[1]),
            "model_card": str(target / "MODEL_CARD.md")}


def _write_model_card(run, config, checkpoint, folder):
    """MODEL_CARD.md and model_card.json: what the model is (read from the file by the device runtime),
    where it came from, and how well its checkpoint did."""
    described = subprocess.run([settings.DEVICE_PYTHON, "-m", "stt_device", "--model", str(folder / "output_graph.tflite"),
                                "--describe"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    if described.returncode != 0:
        raise UserError("the device runtime could not read the exported model: {}".format(described.stderr.strip()[-500:]))
    model = json.loads([line for line in described.stdout.splitlines() if line.startswith("{")][-1])
    evaluations = sorted((run / "evaluations").glob("{}-*-no-scorer.json".format(checkpoint)), key=lambda p: p.stat().st_mtime)
    evaluation = json.loads(evaluations[-1].read_text()) if evaluations else None
    history = epochs(run)
    card = {"model": dict(model, model=str(folder.with_name(folder.name.replace(".partial", "")) / "output_graph.tflite")),
            "metadata": {key[len("export_"):]: config[key] for key in configuration.KEYS
                         if key.startswith("export_") and key != "export_quantize"},
            "training": {"run": run.name, "checkpoint": checkpoint, "engine": "coqui-stt-training " + engine_version(),
                         "dataset": json.loads((run / "run.json").read_text())["dataset"], "epochs": len(history),
                         "best_dev_loss": min((e["dev_loss"] for e in history if "dev_loss" in e), default=None),
                         "n_hidden": config["n_hidden"], "learning_rate": config["learning_rate"],
                         "dropout_rate": config["dropout_rate"], "augment": config["augment"]},
            "evaluation": None if evaluation is None else {key: evaluation[key] for key in ("test_set", "samples", "wer", "cer")}}
    (folder / "model_card.json").write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n")
    m, t = card["model"], card["training"]
    lines = ["# {} {}".format(card["metadata"]["model_name"], card["metadata"]["model_version"]), "",
             "A DeepSpeech-family speech-to-text model ({}), exported to TFLite from run `{}`, checkpoint `{}`.".format(
                 card["metadata"]["language"], t["run"], checkpoint), "",
             "| | |", "|---|---|",
             "| file | `output_graph.tflite`, {:,} bytes, {} |".format(m["bytes"], "dynamic-range quantised (int8 weights)"
                                                                       if m["quantized"] else "float32"),
             "| author | {} |".format(card["metadata"]["author_id"]),
             "| width | n_hidden {} |".format(m["n_hidden"]),
             "| audio | {} Hz, mono, 16-bit |".format(m["sample_rate"]),
             "| features | {} MFCCs per {} ms window, every {} ms; {} frames of context each side |".format(
                 m["mfcc_features"], m["feature_window_ms"], m["feature_step_ms"], m["context_frames"]),
             "| alphabet | {} labels: `{}` (`alphabet.txt`) |".format(len(m["labels"]), "".join(m["labels"])),
             "| trained | {} epochs on `{}`, best dev loss {} ({}) |".format(t["epochs"], t["dataset"], t["best_dev_loss"],
                                                                          t["engine"]),
             "| evaluated | {} |".format("not yet: `playbook evaluate --run {} --checkpoint {}`".format(t["run"], checkpoint)
                                          if evaluation is None else "WER {}, CER {} on {} samples of `{}` (no scorer)".format(
                                              evaluation["wer"], evaluation["cer"], evaluation["samples"], evaluation["test_set"])),
             "", "Run it with the device runtime (`stt_device/`, no TensorFlow):", "",
             "```sh", "python -m stt_device --model output_graph.tflite [--scorer kenlm.scorer] audio.wav", "```", ""]
    (folder / "MODEL_CARD.md").write_text("\n".join(lines), encoding="utf-8")


def latest_export(name):
    exports = sorted((settings.EXPORTS / name).glob("*/output_graph.tflite"), key=lambda p: p.stat().st_mtime)
    if not exports:
        raise UserError("run '{}' has no export in {}; run `make export RUN={}` first.".format(name, settings.EXPORTS / name, name))
    return exports[-1]


# --- reports ----------------------------------------------------------------------------------

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
        meta = json.loads(meta_file.read_text())
        row = summary(run.name)
        stats = [(p.stat(), p.is_file()) for p in run.rglob("*")]
        row.update({"kind": meta.get("kind", "fresh"), "created": meta.get("created"),
                    "updated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(max(st.st_mtime for st, _ in stats))),
                    "bytes": sum(st.st_size for st, is_file in stats if is_file)})
        rows.append(row)
    return rows


def write_curves(run):
    history = epochs(run)
    if not history:
        return None
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker
    figure, axes = plt.subplots(figsize=(7, 4))
    axes.plot([e["epoch"] for e in history], [e["train_loss"] for e in history], label="train")
    dev = [e for e in history if "dev_loss" in e]
    axes.plot([e["epoch"] for e in dev], [e["dev_loss"] for e in dev], label="dev")
    starts = sorted({e["epoch"] for e in history if e["epoch"] > 0 and
                     e["invocation"] != next(p for p in history if p["epoch"] == e["epoch"] - 1)["invocation"]})
    for epoch in starts:
        axes.axvline(epoch - 0.5, color="grey", linestyle=":", linewidth=1)
    axes.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    axes.set(xlabel="epoch (dotted: resumed)", ylabel="CTC loss", title="run {}".format(run.name))
    axes.set_yscale("log")
    axes.legend()
    figure.tight_layout()
    path = run / "loss.png"
    figure.savefig(str(path), dpi=100)
    plt.close(figure)
    return path
