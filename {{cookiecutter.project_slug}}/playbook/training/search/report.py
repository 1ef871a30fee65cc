"""A study's report, read from its storage (so any machine that reaches the database can write it): a table of the
trials (trials.csv, trials.md), the best trial, the settings' importances and a plot (trials.png: the dev loss
per trial, the trials over time on each worker, the importances).

Importances are Optuna's PED-ANOVA (how much each setting decides whether a trial reaches the best tenth of dev
losses): numpy alone, where Optuna's default, fANOVA, needs scikit-learn, which the images do not carry."""
import csv
import warnings
from collections import OrderedDict

# Fewer complete trials than this give every setting the same share, or one all of it: no importances then. Pruned
# trials have no dev loss of their own (Optuna's evaluators leave them out).
IMPORTANCE_TRIALS = 4
COLUMNS = ["trial", "state", "run", "worker", "retry_of", "epochs", "first_dev_loss", "best_dev_loss", "minutes"]


def rows_of(study):
    from optuna.storages import RetryFailedTrialCallback
    rows = []
    for trial in study.get_trials(deepcopy=False):
        ended = trial.datetime_complete
        # A pruned trial has no value of its own: its best is the best of the epochs it trained.
        best = trial.value if trial.value is not None or not trial.intermediate_values else min(trial.intermediate_values.values())
        row = OrderedDict([
            ("trial", trial.number), ("state", trial.state.name.lower()), ("run", trial.user_attrs.get("run", "")),
            ("worker", trial.user_attrs.get("worker", "")), ("retry_of", RetryFailedTrialCallback.retried_trial_number(trial)),
            ("epochs", trial.user_attrs.get("epochs")),
            ("first_dev_loss", trial.user_attrs.get("first_dev_loss")), ("best_dev_loss", best),
            ("minutes", round((ended - trial.datetime_start).total_seconds() / 60, 2) if ended and trial.datetime_start else None),
            ("started", trial.datetime_start), ("ended", ended)])
        row.update(trial.params)
        rows.append(row)
    return rows


def importances(study):
    """{setting: share of the dev loss's variance}, or the sentence why there are none yet."""
    import optuna
    from optuna.trial import TrialState
    complete = [t for t in study.get_trials(deepcopy=False) if t.state == TrialState.COMPLETE]
    if len(complete) < IMPORTANCE_TRIALS or len({t.value for t in complete}) < 2:
        return None, "importances need {} complete trials (pruned ones do not count) with different dev losses".format(IMPORTANCE_TRIALS)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PED-ANOVA is marked experimental
            found = optuna.importance.get_param_importances(study, evaluator=optuna.importance.PedAnovaImportanceEvaluator())
    except (RuntimeError, ValueError, ImportError) as error:
        return None, "no importances: {}".format(str(error).splitlines()[0])
    return OrderedDict((name, round(value, 3)) for name, value in found.items()), None


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, float):
        return "{:.5g}".format(value)
    return str(value)


def write(study, folder):
    rows = rows_of(study)
    names = sorted({name for trial in study.get_trials(deepcopy=False) for name in trial.params})
    columns = COLUMNS + names
    with open(str(folder / "trials.csv"), "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows({c: _cell(row.get(c)) for c in columns} for row in rows)
    table = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    table += ["| " + " | ".join(_cell(row.get(c)) for c in columns) + " |" for row in rows]
    shares, why_not = importances(study)
    finished = [row for row in rows if row["state"] == "complete"]
    best = min(finished, key=lambda row: row["best_dev_loss"]) if finished else None
    lines = table + [""]
    if best:
        lines.append("Best: trial {trial}, run {run}, dev loss {best_dev_loss:.4f}, ".format(**best)
                     + ", ".join("{} {}".format(name, _cell(best[name])) for name in names if name in best) + ".")
    lines.append("Importances: " + (", ".join("{} {:.2f}".format(n, v) for n, v in shares.items()) if shares else why_not) + ".")
    (folder / "trials.md").write_text("\n".join(lines) + "\n")
    plot = _plot(rows, shares, folder / "trials.png")
    print("\n".join(lines), flush=True)
    states = OrderedDict()
    for row in rows:
        states[row["state"]] = states.get(row["state"], 0) + 1
    return {"search": study.study_name, "trials": states.get("complete", 0) + states.get("pruned", 0), "states": states,
            "best_run": best["run"] if best else None, "best_dev_loss": best["best_dev_loss"] if best else None,
            "best_params": {name: best[name] for name in names if name in best} if best else None,
            "importances": shares, "workers": sorted({row["worker"] for row in rows if row["worker"]}),
            "table": str(folder / "trials.md"), "plot": str(plot)}


def _plot(rows, shares, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    figure, (losses, timeline, weights) = plt.subplots(1, 3, figsize=(15, 4))
    colours = {"complete": "tab:blue", "fail": "tab:red", "running": "tab:orange", "waiting": "tab:gray", "pruned": "tab:purple"}
    finished = [row for row in rows if row["best_dev_loss"] is not None]
    losses.bar([row["trial"] for row in finished], [row["best_dev_loss"] for row in finished],
               color=[colours[row["state"]] for row in finished])
    losses.set_xticks([row["trial"] for row in rows])
    losses.set(xlabel="trial", ylabel="best dev loss", title="dev loss per trial (purple: pruned)")
    # Each trial as a bar on its worker's line, from its start to its end (or to now): the parallelism, the
    # trials that failed with their worker, and where they ran again.
    timed = [row for row in rows if row["started"]]
    if timed:
        zero = min(row["started"] for row in timed)
        last = max(row["ended"] or row["started"] for row in timed)
        workers = sorted({row["worker"] for row in timed})
        for row in timed:
            start = (row["started"] - zero).total_seconds() / 60
            length = max(((row["ended"] or last) - row["started"]).total_seconds() / 60, 0.05)
            line = workers.index(row["worker"])
            timeline.barh(line, length, left=start, height=0.6, color=colours.get(row["state"], "tab:gray"), edgecolor="black")
            timeline.text(start + length / 2, line, str(row["trial"]), ha="center", va="center", color="white")
        timeline.set_yticks(range(len(workers)))
        timeline.set_yticklabels(workers)
        timeline.set_ylim(-0.7, len(workers) - 0.3)
    timeline.set(xlabel="minutes since the first trial", title="trials over time (red: its worker stopped; purple: pruned)")
    if shares:
        weights.barh(list(shares)[::-1], list(shares.values())[::-1], color="tab:green")
        weights.set(xlabel="importance (PED-ANOVA)")
    else:
        weights.axis("off")
        weights.text(0.5, 0.5, "importances need {}\ncomplete trials".format(IMPORTANCE_TRIALS), ha="center", va="center")
    weights.set(title="what mattered")
    figure.tight_layout()
    figure.savefig(str(path), dpi=100)
    plt.close(figure)
    return path
