"""The run configuration: every hyperparameter in one place, validated before anything starts.

A run's settings are these defaults, then the project's playbook.toml, then a TOML
file (`--config`), then `--set key=value` overrides, in that order. The resolved result is written to
RUNS/<run>/config.toml and is what the engine gets.
"""
import hashlib
import json
from collections import OrderedDict

from . import settings
from .augment import specs as augment
from .errors import UserError

try:
    import tomllib as _toml  # CPython >= 3.11
except ImportError:  # the engine's CPython 3.7
    import tomli as _toml


# The engine phases a setting can reach (playbook/engines builds each phase's flags).
TRAIN, EVALUATE, EXPORT, TUNE = "train", "evaluate", "export", "tune"
ALL_PHASES = (TRAIN, EVALUATE, EXPORT, TUNE)
# The one table of playbook.toml that is not a run's settings: what `playbook search` varies.
SEARCH_TABLE = "search"


class Key:
    def __init__(self, type_, default, phases, when, low=None, high=None, choices=None):
        self.type, self.default, self.when = type_, default, when
        # Where the engine gets it, as the flag of the same name; () for playbook's own settings.
        self.phases = tuple(phases)
        self.low, self.high, self.choices = low, high, choices

    def flag_text(self, name):
        return "--{} ({})".format(name, ", ".join(self.phases)) if self.phases else "(playbook)"


# name -> Key. A key with phases becomes the engine flag of the same name in those phases.
KEYS = OrderedDict([
    ("epochs", Key(int, 40, (TRAIN,), "Raise until the dev loss stops falling; real corpora need 30-100.", 1, 100000)),
    ("resume_epochs", Key(int, 5, (), "How many more epochs `resume` trains.", 1, 100000)),
    ("n_hidden", Key(int, 192, ALL_PHASES, "Model width. 2048 for release-sized English models; 192-512 for small data or "
                                           "small devices. Fixed for a run and everything fine-tuned from it.", 1, 8192)),
    ("train_batch_size", Key(int, 8, (TRAIN,), "As large as memory allows; lower it on an OOM error.", 1, 4096)),
    ("dev_batch_size", Key(int, 8, (TRAIN,), "Only speed; does not change results.", 1, 4096)),
    ("test_batch_size", Key(int, 8, (EVALUATE, TUNE), "Only speed; does not change results.", 1, 4096)),
    ("learning_rate", Key(float, 0.002, (TRAIN,), "Lower (0.0001-0.0005) when fine-tuning or when the loss jumps about.",
                          1e-7, 1.0)),
    ("dropout_rate", Key(float, 0.05, (TRAIN,), "Raise (0.2-0.4) when the dev loss rises while the training loss falls.",
                         0.0, 0.95)),
    ("dropout_rate2", Key(float, -1.0, (TRAIN,), "Layer 2; -1 means the same as dropout_rate.", -1.0, 0.95)),
    ("dropout_rate3", Key(float, -1.0, (TRAIN,), "Layer 3; -1 means the same as dropout_rate.", -1.0, 0.95)),
    ("dropout_rate6", Key(float, -1.0, (TRAIN,), "Layer 5 (the engine calls it 6); -1 means dropout_rate.", -1.0, 0.95)),
    ("early_stop", Key(bool, False, (TRAIN,), "Turn on for long runs: stops after es_epochs without dev improvement.")),
    ("es_epochs", Key(int, 25, (TRAIN,), "Patience of early stopping, in epochs.", 1, 10000)),
    ("es_min_delta", Key(float, 0.05, (TRAIN,), "Smallest dev-loss drop that counts as improvement.", 0.0, 1000.0)),
    ("reduce_lr_on_plateau", Key(bool, False, (TRAIN,), "Turn on for long runs whose dev loss flattens.")),
    ("plateau_epochs", Key(int, 10, (TRAIN,), "Epochs without improvement before the learning rate is cut.", 1, 10000)),
    ("plateau_reduction", Key(float, 0.1, (TRAIN,), "Factor the learning rate is multiplied by on a plateau.",
                              0.0001, 0.9999)),
    ("feature_cache", Key(bool, False, (TRAIN,), "Turn on for large corpora: MFCCs are computed once, under "
                                                         "/data/cache/<run>. Freezes augmentations unless cache_for_epochs > 0.")),
    ("cache_for_epochs", Key(int, 0, (TRAIN,), "Rebuild the feature cache every N epochs (0: never).", 0, 10000)),
    ("checkpoint_secs", Key(int, 60, (TRAIN,), "Seconds between in-epoch checkpoints: how much work a crash can cost.",
                            0, 86400)),
    ("max_to_keep", Key(int, 3, (TRAIN,), "How many `train-N` checkpoints are kept; best_dev keeps one.", 1, 1000)),
    ("random_seed", Key(int, 4568, (TRAIN, TUNE), "Change to measure how much results vary between runs.", 0, 2 ** 31 - 1)),
    ("intra_op_parallelism_threads", Key(int, 0, (TRAIN, EVALUATE, TUNE),
                                         "Threads inside one TensorFlow op; 0: one per core. 1 is faster for small models "
                                         "(n_hidden 192) on few cores.", 0, 1024)),
    ("train_cudnn", Key(bool, False, (TRAIN,), "NVIDIA GPUs only: faster LSTM; its checkpoints then need load_cudnn on a CPU.")),
    ("load_cudnn", Key(bool, False, (TRAIN,), "Load checkpoints trained with train_cudnn (such as release checkpoints) on a CPU.")),
    ("augment", Key(list, [], (TRAIN,), "Augmentation specs such as \"volume[p=0.1,dbfs=-10:-40]\", or a preset such as "
                                           "\"preset:light\" (see the Augmentation chapter).")),
    ("max_hours", Key(float, 0.0, (), "Wall-clock budget of the run, across all its invocations; when reached, training stops "
                                        "after the epoch's checkpoint (exit code 75) and resumes later. 0: no limit.", 0.0, 100000.0)),
    ("hourly_cost", Key(float, 0.0, (), "What the machine costs per hour (your cloud's price), for max_cost.", 0.0, 10000.0)),
    ("max_cost", Key(float, 0.0, (), "Cost budget of the run: hours used x hourly_cost; stops like max_hours. 0: no limit.",
                     0.0, 1000000.0)),
    ("export_quantize", Key(bool, True, (EXPORT,), "Dynamic-range quantisation: about 4x smaller, usually no accuracy loss.")),
    ("export_author_id", Key(str, "author", (EXPORT,), "Your name or organisation, in the model card (playbook.toml sets it).")),
    ("export_model_name", Key(str, "model", (EXPORT,), "The model's name in its model card (playbook.toml sets it).")),
    ("export_model_version", Key(str, "0.0.1", (EXPORT,), "Bump for every model you ship.")),
    ("export_language", Key(str, "en", (EXPORT,), "BCP-47 language tag of the model.")),
])


def defaults():
    return OrderedDict((name, list(key.default) if isinstance(key.default, list) else key.default) for name, key in KEYS.items())


def _coerce(name, value, source):
    key = KEYS.get(name)
    if key is None:
        close = [k for k in KEYS if k.split("_")[0] == name.split("_")[0]]
        hint = " (did you mean {}?)".format(" or ".join(close)) if close else ""
        raise UserError("{}: unknown setting '{}'{}; `playbook config` lists them all.".format(source, name, hint))
    if key.type is bool:
        if isinstance(value, str) and value.lower() in ("true", "false"):
            value = value.lower() == "true"
        if not isinstance(value, bool):
            raise UserError("{}: '{}' must be true or false, not {!r}.".format(source, name, value))
    elif key.type is list:
        if isinstance(value, str):
            try:
                value = json.loads(value) if value.startswith("[") else [value]
            except ValueError as error:
                raise UserError("{}: '{}' is not a JSON list ({}); write [\"a\", \"b\"].".format(source, name, error))
        if name == "augment" and isinstance(value, list):
            # Specs, {name = ..., key = value} tables and presets; each checked against the engine's grammar.
            value = augment.expand(value, "{}: augment".format(source))
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise UserError("{}: '{}' must be a list of strings, not {!r}.".format(source, name, value))
    elif key.type in (int, float):
        if isinstance(value, str):
            try:
                value = key.type(value)
            except ValueError:
                raise UserError("{}: '{}' must be a{} number, not {!r}.".format(source, name, "" if key.type is float else " whole", value))
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (key.type is int and not isinstance(value, int)):
            raise UserError("{}: '{}' must be a{} number, not {!r}.".format(source, name, "" if key.type is float else " whole", value))
        value = key.type(value)
        if (key.low is not None and value < key.low) or (key.high is not None and value > key.high):
            raise UserError("{}: '{}' = {} is out of range; use a value from {} to {}.".format(source, name, value, key.low, key.high))
    elif not isinstance(value, str):
        raise UserError("{}: '{}' must be text, not {!r}.".format(source, name, value))
    return value


def load_file(path):
    try:
        with open(str(path), "rb") as handle:
            data = _toml.load(handle)
    except FileNotFoundError:
        raise UserError("{}: no such config file.".format(path))
    except _toml.TOMLDecodeError as error:
        raise UserError("{}: not valid TOML ({}).".format(path, error))
    return data


def resolve(base=None, config_file=None, overrides=()):
    """Defaults and the project's playbook.toml (or a base config), then a TOML file, then
    `key=value` overrides; validated."""
    config = defaults() if base is None else OrderedDict(base)
    if base is None and settings.PROJECT_CONFIG.is_file():
        for name, value in load_file(settings.PROJECT_CONFIG).items():
            if name != SEARCH_TABLE:  # a search's plan, not a run's setting (playbook/training/search/space.py)
                config[name] = _coerce(name, value, str(settings.PROJECT_CONFIG))
    if config_file:
        for name, value in load_file(config_file).items():
            config[name] = _coerce(name, value, str(config_file))
    for item in overrides:
        name, sep, value = item.partition("=")
        if not sep:
            raise UserError("--set {}: write it as key=value, for example --set learning_rate=0.0005.".format(item))
        config[name.strip()] = _coerce(name.strip(), value.strip(), "--set")
    return config


def digest(config):
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:12]


def toml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, str)):
        return json.dumps(value)
    return repr(value)


def to_toml(config, documented=False):
    lines = []
    for name, value in config.items():
        if documented and name in KEYS:
            key = KEYS[name]
            lines.append("# {} (default {}; engine flag {})".format(key.when, toml_value(key.default), key.flag_text(name)))
        lines.append("{} = {}".format(name, toml_value(value)))
        if documented:
            lines.append("")
    return "\n".join(lines) + "\n"


def markdown_table():
    rows = ["| key | default | engine flag (phases) | when to change it |", "|---|---|---|---|"]
    for name, key in KEYS.items():
        rows.append("| `{}` | `{}` | `{}` | {} |".format(name, toml_value(key.default), key.flag_text(name), key.when))
    return "\n".join(rows) + "\n"
