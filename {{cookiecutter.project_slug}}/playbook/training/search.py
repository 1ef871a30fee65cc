"""Hyperparameter search: an Optuna study over learning rate, dropout and n_hidden on dev loss.

Every trial is an ordinary run (RUNS/<prefix>-tNN) that can be resumed, evaluated and
exported like any other. The study, its table and its plot live in SEARCHES/<prefix>/.
"""
import csv
import json

from .. import settings
from ..errors import UserError
from .train import train

N_HIDDEN_CHOICES = [64, 128, 192, 256]
LEARNING_RATES = (3e-4, 3e-3)  # log-uniform; the engine's default 1e-3 sits in the middle
DROPOUT_RATES = (0.0, 0.4)


def search(prefix, dataset, trials=4, epochs=8, seed=1, base_overrides=()):
    import optuna
    folder = settings.SEARCHES / prefix
    if folder.exists():
        raise UserError("search '{}' already exists in {}; pick another --name.".format(prefix, folder))
    folder.mkdir(parents=True)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(study_name=prefix, direction="minimize", sampler=optuna.samplers.TPESampler(seed=seed),
                                storage="sqlite:///{}".format(folder / "study.db"))
    rows = []

    def objective(trial):
        params = {
            "learning_rate": trial.suggest_float("learning_rate", LEARNING_RATES[0], LEARNING_RATES[1], log=True),
            "dropout_rate": trial.suggest_float("dropout_rate", *DROPOUT_RATES),
            "n_hidden": trial.suggest_categorical("n_hidden", N_HIDDEN_CHOICES),
        }
        run = "{}-t{:02d}".format(prefix, trial.number)
        overrides = list(base_overrides) + ["epochs={}".format(epochs)] + ["{}={}".format(k, v) for k, v in params.items()]
        print("=== trial {} of {}: run {} {}".format(trial.number + 1, trials, run, json.dumps(params)), flush=True)
        result = train(run, dataset, overrides=overrides, command_line="playbook search --name {}".format(prefix))
        if result["best_dev_loss"] is None:
            raise UserError("trial run {} reported no dev loss; check its dev.csv.".format(run))
        rows.append(dict(params, trial=trial.number, run=run, best_dev_loss=result["best_dev_loss"],
                         first_dev_loss=result["first_dev_loss"]))
        return result["best_dev_loss"]

    study.optimize(objective, n_trials=trials)
    rows.sort(key=lambda r: r["best_dev_loss"])
    columns = ["trial", "run", "learning_rate", "dropout_rate", "n_hidden", "first_dev_loss", "best_dev_loss"]
    with open(str(folder / "trials.csv"), "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows({c: r[c] for c in columns} for r in rows)
    table = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for r in rows:
        table.append("| {trial} | {run} | {learning_rate:.5f} | {dropout_rate:.3f} | {n_hidden} | {first_dev_loss:.2f} | "
                     "{best_dev_loss:.2f} |".format(**r))
    (folder / "trials.md").write_text("\n".join(table) + "\n")
    plot = _plot(rows, folder / "trials.png")
    print("\n".join(table), flush=True)
    return {"search": prefix, "trials": len(rows), "best_run": rows[0]["run"], "best_dev_loss": rows[0]["best_dev_loss"],
            "best_params": {k: rows[0][k] for k in ("learning_rate", "dropout_rate", "n_hidden")},
            "table": str(folder / "trials.md"), "plot": str(plot)}


def _plot(rows, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    ordered = sorted(rows, key=lambda r: r["trial"])
    left.bar([r["trial"] for r in ordered], [r["best_dev_loss"] for r in ordered], color="tab:blue")
    left.set_xticks([r["trial"] for r in ordered])
    left.set(xlabel="trial", ylabel="best dev loss", title="dev loss per trial")
    scatter = right.scatter([r["learning_rate"] for r in rows], [r["best_dev_loss"] for r in rows],
                            c=[r["n_hidden"] for r in rows], s=[30 + 200 * r["dropout_rate"] for r in rows], cmap="viridis")
    right.set_xscale("log")
    right.set(xlabel="learning rate (size: dropout)", ylabel="best dev loss", title="trials")
    figure.colorbar(scatter, ax=right, label="n_hidden")
    figure.tight_layout()
    figure.savefig(str(path), dpi=100)
    plt.close(figure)
    return path
