"""What a search varies and for how long: the [search] table of playbook.toml (or of a file given with --space),
checked before any trial starts. A study keeps the plan it was started with, and a worker that joins the study
with another plan is refused, so that every trial of one study is drawn from one space."""
import json
from collections import OrderedDict

from ... import config, settings
from ...errors import UserError

TABLE = config.SEARCH_TABLE
# The plan a search has when playbook.toml has no [search] table; docs/hyperparameters.md shows it as a table.
DEFAULTS = OrderedDict([
    ("trials", 4),        # trials in the study, counted across all its workers
    ("epochs", 8),        # epochs per trial
    ("heartbeat_s", 60),  # a worker silent for 3 heartbeats is taken for dead, and its trial runs again elsewhere
    ("retries", 2),       # how often one trial is run again after its worker died
    ("prune", True),      # stop a trial whose dev loss after an epoch is worse than the median of complete trials' there
    ("prune_startup", 2), # trials that finish before any is pruned
    ("prune_warmup", 2),  # epochs every trial trains before it can be pruned
    ("push", ""),         # an rclone remote (s3:bucket/speech): every finished trial's run is pushed there
    ("space", OrderedDict([
        ("learning_rate", {"low": 3e-4, "high": 3e-3, "log": True}),  # the engine's default 1e-3 sits in the middle
        ("dropout_rate", {"low": 0.0, "high": 0.4}),
        ("n_hidden", [64, 128, 192, 256]),
    ])),
    ("fixed", OrderedDict()),  # settings every trial gets, as with --set
])
LIMITS = {"trials": (1, 10000), "epochs": (1, 100000), "heartbeat_s": (1, 3600), "retries": (0, 100),
          "prune_startup": (0, 10000), "prune_warmup": (1, 100000)}
# What the study keeps of the plan it was started with. A worker takes the study's trial count and epochs where its
# command line does not give them; the rest decides what a trial is, and must be the worker's own too.
SHARED = ("trials", "epochs", "space", "fixed", "dataset", "prune", "prune_startup", "prune_warmup")
TAKEN_FROM_STUDY = ("trials", "epochs")


def _table(source):
    if source is None:
        if not settings.PROJECT_CONFIG.is_file():
            return {}, str(settings.PROJECT_CONFIG)
        return config.load_file(settings.PROJECT_CONFIG).get(TABLE, {}), "{} [{}]".format(settings.PROJECT_CONFIG, TABLE)
    data = config.load_file(source)
    return data.get(TABLE, data), "{}{}".format(source, " [{}]".format(TABLE) if TABLE in data else "")


def _parameter(name, spec, where):
    """One entry of [search.space]: a list of choices, or {low, high[, log][, step]} for a number setting."""
    key = config.KEYS.get(name)
    if key is None or name == "epochs":
        why = "epochs per trial is the table's own `epochs`" if name == "epochs" else "`playbook config` lists the settings"
        raise UserError("{}: '{}' cannot be searched ({}).".format(where, name, why))
    if isinstance(spec, list):
        if not spec:
            raise UserError("{}: '{}' has no choices; list at least one, such as {} = [128, 256].".format(where, name, name))
        return [config._coerce(name, value, where) for value in spec]
    if not isinstance(spec, dict) or set(spec) - {"low", "high", "log", "step"} or not {"low", "high"} <= set(spec):
        raise UserError("{}: '{}' must be a list of choices or a table with low and high (and log = true for a "
                        "log scale, step for whole numbers), not {!r}.".format(where, name, spec))
    if key.type not in (int, float):
        raise UserError("{}: '{}' is not a number: give its choices as a list.".format(where, name))
    low, high = config._coerce(name, spec["low"], where), config._coerce(name, spec["high"], where)
    if low >= high:
        raise UserError("{}: '{}' has low {} and high {}; low must be below high.".format(where, name, low, high))
    if spec.get("log") and low <= 0:
        raise UserError("{}: '{}' on a log scale needs low above 0, not {}.".format(where, name, low))
    return OrderedDict([("low", low), ("high", high), ("log", bool(spec.get("log", False)))]
                       + ([("step", config._coerce(name, spec["step"], where))] if "step" in spec else []))


def load(source=None, dataset=None, **given):
    """The plan: DEFAULTS, then the [search] table, then what the command line gave (trials, epochs, push; None: not
    given; fixed: `--set` items). [search.space] replaces the default space as a whole."""
    table, where = _table(source)
    unknown = sorted(set(table) - set(DEFAULTS))
    if unknown:
        raise UserError("{}: unknown key '{}'; the table takes {}.".format(where, unknown[0], ", ".join(DEFAULTS)))
    plan = OrderedDict((name, table.get(name, default)) for name, default in DEFAULTS.items())
    for name, value in given.items():
        if value is not None and name != "fixed":
            plan[name] = value
    for name, (low, high) in LIMITS.items():
        value = plan[name]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise UserError("{}: '{}' must be a whole number from {} to {}, not {!r}.".format(where, name, low, high, value))
    if not isinstance(plan["prune"], bool):
        raise UserError("{}: 'prune' must be true or false, not {!r}.".format(where, plan["prune"]))
    if not isinstance(plan["push"], str):
        raise UserError("{}: 'push' must be an rclone remote and path such as \"s3:my-bucket/speech\", not {!r}."
                        .format(where, plan["push"]))
    plan["space"] = OrderedDict((name, _parameter(name, spec, where + " space")) for name, spec in plan["space"].items())
    if not plan["space"]:
        raise UserError("{}: the space is empty; name at least one setting to search.".format(where))
    fixed = OrderedDict((name, config._coerce(name, value, where + " fixed")) for name, value in plan["fixed"].items())
    fixed.update(config.resolve(base={}, overrides=given.get("fixed") or ()))
    both = sorted(set(fixed) & set(plan["space"]))
    if both:
        raise UserError("{}: '{}' is both searched and fixed; keep it in one of the two.".format(where, both[0]))
    plan["fixed"] = fixed
    plan["dataset"] = str(dataset)
    return plan


def suggest(trial, space):
    """The trial's settings, drawn by the study's sampler."""
    values = OrderedDict()
    for name, spec in space.items():
        if isinstance(spec, list):
            values[name] = trial.suggest_categorical(name, spec)
        elif config.KEYS[name].type is int:
            values[name] = trial.suggest_int(name, spec["low"], spec["high"], log=spec["log"], step=spec.get("step", 1))
        else:
            values[name] = trial.suggest_float(name, spec["low"], spec["high"], log=spec["log"], step=spec.get("step"))
    return values


def shared(plan):
    """What a worker's plan must share with the study's, as the JSON the study keeps."""
    return json.dumps({name: plan[name] for name in SHARED}, sort_keys=True)


def join(study_name, kept, plan, given):
    """The plan of a worker joining a study that KEPT (shared()'s JSON) its own: the study's trial count and epochs
    unless GIVEN (the worker's command line) says otherwise; refused, naming the first difference, where they differ."""
    kept = json.loads(kept)
    for name in TAKEN_FROM_STUDY:
        if given.get(name) is None:
            plan[name] = kept[name]
    mine = json.loads(shared(plan))
    for name in SHARED:
        if kept.get(name) != mine.get(name):
            raise UserError("search '{}' was started with {} = {}, and this worker has {}: give it the study's [search] "
                            "table, --epochs and --dataset, or start a new search with another --name."
                            .format(study_name, name, json.dumps(kept.get(name)), json.dumps(mine.get(name))))
    return plan
