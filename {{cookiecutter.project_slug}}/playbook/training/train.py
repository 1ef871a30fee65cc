"""Training a run: a fresh one, resume, fine-tune and transfer (each one engine invocation)."""
import sys
from pathlib import Path

from ..augment import specs as augment
from .. import config as configuration
from .. import engines
from .. import settings, storage
from ..errors import UserError
from . import budget, runs
from .plots import write_curves
from .process import run_engine


def check_augmentations(config):
    """What the engine would only find out in a data-loading worker: an overlay source that is not there."""
    missing = [source for source in augment.sources(config["augment"]) if not Path(source).is_file()]
    if missing:
        raise UserError("augment: the overlay source {} does not exist; {}.".format(missing[0], (
            "make it with `playbook noise`" if missing[0] == augment.SYNTHETIC_NOISE else
            "make one from your own audio with `playbook noise --from FOLDER`")))


def check_settings(config):
    """Everything about the settings that can be refused before a run folder exists."""
    engines.current().check(config)
    budget.check(config)
    check_augmentations(config)


def _rows(files, split):
    if "rows" in files:  # a shard source: its manifest counts them
        return files["rows"].get(split, 0)
    with open(str(files[split])) as handle:
        return max(sum(1 for _ in handle) - 1, 0)  # less the header


def steps_per_epoch(files, config):
    """The training steps an epoch of the FILES' train split takes: both engines train on whole batches only (they
    drop the last incomplete one), so a set smaller than train_batch_size trains nothing; that is refused, not
    reported as done."""
    rows, batch = _rows(files, "train"), config["train_batch_size"]
    if rows < batch:
        raise UserError("{} has {} row{}, fewer than train_batch_size {}: the engine trains on whole batches only, so no "
                        "step would run; add recordings, or pass --set train_batch_size={}.".format(
                            files["train"], rows, "" if rows == 1 else "s", batch, max(rows, 1)))
    return rows // batch


def check_splits(files, config):
    """What a dataset's splits must hold for a training to train (steps_per_epoch, which it returns) and to measure:
    the dev set picks the best checkpoint and stops training early, so an empty one (an import of one or two
    recordings) is refused with what to do."""
    steps = steps_per_epoch(files, config)
    if "rows" in files and config["augment"]:
        # Its data reader has no length for a stream, and its augmentation clock divides by it (util/feeding.py).
        raise UserError("augment: the engine cannot tell how far through an epoch a stream of shards is, and "
                        "augmentation needs that; train from the dataset's CSV files, or without augment.")
    if not _rows(files, "dev"):
        raise UserError("{} has no rows: training picks its best checkpoint by the dev set. Import at least three "
                        "recordings (or give --split counts such as 8,1,1), or copy a few rows of train.csv into it."
                        .format(files["dev"]))
    return steps


def _train(run, config, epochs, load, command_line, load_dir=None, check=False, after_epoch=None, **source):
    """One training invocation of RUN. CHECK the dataset's rows first (resume; a new run's were checked
    before its folder was made). AFTER_EPOCH: see process.run_engine. SOURCE: drop_source_layers,
    reinitialize_learning_rate, load_cudnn."""
    engine = engines.current()
    files = runs.dataset_files(runs.meta(run)["dataset"], alphabet=run / "alphabet.txt", check=check)
    feature_cache = None
    if config["feature_cache"]:
        # TensorFlow writes the cache files under this prefix; their folder must exist.
        (settings.CACHE / run.name).mkdir(parents=True, exist_ok=True)
        feature_cache = settings.CACHE / run.name / "features"
    if config["augment"]:
        warning = augment.cache_warning(config)
        if warning:
            print("warning: " + warning, file=sys.stderr, flush=True)
    flags = engine.train_flags(config, train_csv=files["train"], dev_csv=files["dev"], alphabet=run / "alphabet.txt",
                               save_dir=run / "checkpoints", load_dir=load_dir or run / "checkpoints", load=load,
                               epochs=epochs, summary_dir=run / "checkpoints" / "summaries", feature_cache=feature_cache,
                               **source)
    used = budget.hours_used(run)
    budget.require_left(run, config, used)
    limit = (lambda seconds: budget.spent(config, used + seconds / 3600.0)) if config["max_hours"] or config["max_cost"] else None
    steps_hint = check_splits(files, config)
    run_engine("train", flags, run, command_line, config, budget=limit, steps_hint=steps_hint,
               after_epoch=after_epoch)
    try:
        write_curves(run)
    except Exception as error:  # a missing plot must not fail a finished training
        print("note: no loss curves ({})".format(error), flush=True)
    return runs.summary(run.name)


def train(name, dataset, config_file=None, overrides=(), command_line="", resume_if_exists=False, after_epoch=None):
    """A new run NAME; with RESUME_IF_EXISTS, an existing run NAME with the same settings continues instead.
    AFTER_EPOCH(record) may end a new run's training early (see process.run_engine)."""
    if runs.run_dir(name).exists():
        if resume_if_exists:
            return continue_to_total(name, dataset, config_file, overrides, command_line)
        raise UserError("run '{}' already exists in {}; continue it with `make resume RUN={}`, or to its total epochs with "
                        "`playbook train --run {} --resume-if-exists`, or pick a new RUN name.".format(
                            name, runs.run_dir(name), name, name))
    config = configuration.resolve(config_file=config_file, overrides=overrides)
    files = runs.dataset_files(dataset)  # its files and every row, before the engine's settings
    check_splits(files, config)
    check_settings(config)
    run = runs.new_run(name, dataset, config, "fresh", engines.current())
    return _train(run, config, config["epochs"], "init", command_line, after_epoch=after_epoch)


def continue_to_total(name, dataset, config_file, overrides, command_line, source=None, load="best"):
    """`--resume-if-exists` on an existing run (train, finetune, transfer): what a restarted (preempted) cloud job
    runs. The engine counts --epochs per invocation, so the epochs still to train are the run's total less those its
    own epochs.jsonl records. The run keeps the settings it was started with (a run fine-tuned from a release has the
    release's width and learning rate, and playbook.toml may have changed since): what this command sets with
    --config or --set must agree with them, the budget excepted. SOURCE: the run it must have been started from
    (finetune, transfer); stopped before its first checkpoint, it starts from that run's LOAD checkpoint again."""
    run, saved = runs.load_run(name)
    runs.require_writable(run)
    config = configuration.resolve(base=dict(configuration.defaults(), **saved), config_file=config_file, overrides=overrides)
    changed = ["{} {} (run has {})".format(key, configuration.toml_value(config[key]), configuration.toml_value(saved.get(key)))
               for key in config if key not in budget.BUDGET_KEYS and config[key] != saved.get(key)]
    if changed:
        raise UserError("run '{}' exists with other settings: {}; --resume-if-exists continues a run only with the settings "
                        "it was started with, so drop the changes or pick a new RUN name.".format(name, ", ".join(changed)))
    meta = runs.meta(run)
    if runs.dataset_named(dataset) != meta["dataset"]:
        raise UserError("run '{}' trains on {}, not {}; --resume-if-exists continues a run only on its own dataset.".format(
            name, meta["dataset"], runs.dataset_named(dataset)))
    started_from = (meta.get("source") or {}).get("run")
    if source is not None and source != started_from:
        raise UserError("run '{}' was started {}, not from '{}'; --resume-if-exists continues a run only as it was started."
                        .format(name, "from '{}'".format(started_from) if started_from else "afresh", source))
    done, total = len(runs.epochs(run)), config["epochs"]
    if done >= total:
        print("run '{}' has trained {} of its {} epochs; nothing to do.".format(name, done, total), flush=True)
        return runs.summary(name)
    if any(config[key] != saved[key] for key in budget.BUDGET_KEYS):
        # A new budget; the model's settings are unchanged. Written aside, then renamed: a kill never truncates it.
        with storage.building(run / "config.toml", folder=False) as partial:
            partial.write_text(configuration.to_toml(config))
    check_settings(config)
    step = runs.checkpoint_step(run / "checkpoints", "checkpoint")
    print("continuing run '{}' from {}: {} of {} epochs done, {} to go.".format(
        name, "step {}".format(step) if step is not None else "run '{}' (no checkpoint was saved yet)".format(started_from)
        if started_from else "the start (no checkpoint was saved)", done, total, total - done), flush=True)
    runs.keep_best(run)
    if step is None and started_from:
        return _seeded(meta["kind"], started_from, load, config, runs.labels(run / "alphabet.txt"), total - done,
                       lambda loaded: run, command_line, meta["source"].get("drop_layers", 0), check=True)
    return _train(run, config, total - done, "last" if step is not None else "init", command_line, check=True)


def resume(name, load="last", epochs=None, command_line=""):
    run, config = runs.load_run(name)
    runs.require_writable(run)
    if runs.checkpoint_step(run / "checkpoints", "checkpoint") is None:
        raise UserError("run '{}' has no saved checkpoint to resume from; start it again under a new name.".format(name))
    check_settings(config)
    kept = runs.keep_best(run)
    if kept:
        print("kept {} in {} (the engine may replace best_dev during this resume)".format(kept, run / "kept"), flush=True)
    return _train(run, config, epochs or config["resume_epochs"], load, command_line, check=True)


def load_source(source):
    """The run a new one starts from; a name that is no run may be a released checkpoint not yet imported."""
    if not (runs.run_dir(source) / "run.json").is_file():
        raise UserError("there is no run named '{0}' in {1}: name a run you trained (`make runs` lists them), or register "
                        "a released checkpoint under that name first: `playbook import-checkpoint FOLDER --name {0}`."
                        .format(source, settings.RUNS))
    return runs.load_run(source)


def check_compatible(source, target_labels, config, kind):
    """Refuse, before TensorFlow starts, what the engine would fail on (or silently change).
    Returns the source run and whether its checkpoint must be loaded with load_cudnn (a CuDNN source on a CPU;
    on a GPU the new run's CONFIG gets train_cudnn instead)."""
    source_run, source_config = load_source(source)
    if config["n_hidden"] != source_config["n_hidden"]:
        raise UserError("run '{}' was trained with n_hidden {}, not {}: checkpoints only load into the same width, "
                        "so drop the n_hidden setting (or train a fresh run).".format(source, source_config["n_hidden"], config["n_hidden"]))
    source_labels = runs.labels(source_run / "alphabet.txt")
    load_cudnn = False
    if runs.trained_with_cudnn(source_run) and not config["train_cudnn"]:
        if settings.gpu_visible():
            # The new run trains with CuDNN too (its config says so, for its resumes).
            print("note: run '{}' was trained with CuDNN; the new run trains with train_cudnn on this GPU.".format(source),
                  flush=True)
            config["train_cudnn"] = True
        else:
            # A CuDNN checkpoint loads into the CPU graph with fresh optimiser moments for the LSTM.
            print("note: run '{}' was trained with CuDNN; loading it with load_cudnn (its LSTM's Adam moments start "
                  "afresh).".format(source), flush=True)
            load_cudnn = True
    if kind == "finetune" and sorted(target_labels) == sorted(source_labels) and target_labels != source_labels:
        raise UserError("the dataset's alphabet holds the same {} labels as run '{}' in another order (the model's "
                        "outputs follow that order): import the dataset again with `--alphabet {}`, which keeps the run's order, "
                        "and fine-tune on that.".format(len(target_labels), source, source_run / "alphabet.txt"))
    if kind == "finetune" and set(target_labels) < set(source_labels):
        raise UserError("the dataset's alphabet has {} labels, all of them among run '{}''s {}: your transcripts use fewer "
                        "characters than the model knows. Import the dataset again with `--alphabet {}`, which keeps the "
                        "model's alphabet, and fine-tune on that.".format(len(target_labels), source, len(source_labels),
                                                                          source_run / "alphabet.txt"))
    if kind == "finetune" and target_labels != source_labels:
        raise UserError("the new alphabet has {} labels and run '{}' has {}: fine-tuning needs the same alphabet, "
                        "so use `playbook transfer` to learn a new one.".format(len(target_labels), source, len(source_labels)))
    if kind == "transfer" and target_labels == source_labels:
        print("note: the alphabet is the same as run '{}'s; `playbook finetune` keeps the output layer too.".format(source), flush=True)
    return source_run, load_cudnn


def _from_source(kind, source, name, dataset, config, load, command_line, drop_layers=0):
    runs.require_new(name)
    files = runs.dataset_files(dataset)
    check_splits(files, config)
    check_settings(config)

    def new_run(loaded):
        record = {"run": source, "checkpoint": loaded}
        if drop_layers:
            record["drop_layers"] = drop_layers
        source_engine = runs.meta(runs.run_dir(source)).get("engine")
        if source_engine:
            record["engine"] = source_engine
        return runs.new_run(name, dataset, config, kind, engines.current(), source=record)
    return _seeded(kind, source, load, config, runs.labels(files["alphabet"]), config["epochs"], new_run, command_line,
                   drop_layers)


def _seeded(kind, source, load, config, labels, epochs, run_for, command_line, drop_layers=0, check=False):
    """EPOCHS of training seeded from SOURCE's LOAD checkpoint, which is staged (the source run is never written)
    before RUN_FOR(the checkpoint's name) gives the run to train: no run folder is made for a source refused."""
    source_run, load_cudnn = check_compatible(source, labels, config, kind)
    load_dir, method, loaded = runs.stage_checkpoint(source_run, load)
    try:
        return _train(run_for(loaded), config, epochs, method, command_line, load_dir=load_dir, drop_source_layers=drop_layers,
                      reinitialize_learning_rate=True, load_cudnn=load_cudnn, check=check)
    finally:
        runs.unstage(load_dir)


def finetune(source, name, dataset, config_file=None, overrides=(), load="best", command_line="", resume_if_exists=False):
    """A new run seeded from SOURCE's weights: same alphabet and width, new data, lower learning rate."""
    if resume_if_exists and runs.run_dir(name).exists():
        return continue_to_total(name, dataset, config_file, overrides, command_line, source=source, load=load)
    _, source_config = load_source(source)
    base = dict(source_config)
    base["learning_rate"] = source_config["learning_rate"] / 10.0
    config = configuration.resolve(base=base, config_file=config_file, overrides=overrides)
    return _from_source("finetune", source, name, dataset, config, load, command_line)


def transfer(source, name, dataset, drop_layers=1, config_file=None, overrides=(), load="best", command_line="",
             resume_if_exists=False):
    """A new run for a new alphabet: SOURCE's weights without its last DROP_LAYERS layers."""
    if not 1 <= drop_layers <= 5:
        raise UserError("--drop-layers must be 1 to 5 (1 drops the output layer only), not {}.".format(drop_layers))
    if resume_if_exists and runs.run_dir(name).exists():
        return continue_to_total(name, dataset, config_file, overrides, command_line, source=source, load=load)
    _, source_config = load_source(source)
    config = configuration.resolve(base=source_config, config_file=config_file, overrides=overrides)
    return _from_source("transfer", source, name, dataset, config, load, command_line, drop_layers=drop_layers)
