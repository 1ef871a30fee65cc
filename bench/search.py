"""`playbook search` across machines: trials per hour on the sample with 1 and with 2 workers sharing one study in
PostgreSQL (Debian's, in a container beside them; harness/search_cluster.py), and what the database costs a trial.

    python bench/search.py [--trials 6] [--epochs 1]      (or: make bench-search)

Each worker is a container of the CPU image with its own data volume. On this machine's 2 cores two workers
share the cores one worker already mostly uses (a training of the sample keeps about one busy), so expect little
speed-up: the figure shows what the coordination costs, not what N GPU machines gain (N machines run N trials
at a time). The database's cost per trial is measured apart: trials of an objective that does nothing, with the
search's own sampler and heartbeat, against PostgreSQL, a SQLite file and memory. And what pruning saves: one
worker, the same study of --prune-epochs epochs per trial (the same seed, so the same settings tried) with
`prune = false` and with the default pruning (epochs trained, minutes, best dev loss). Figures to reports/bench-search.json.
"""
import argparse
import json
import sys

import figures as bench_figures

from harness import search_cluster as cluster
from harness.images import build_image
from harness.bake import bake
from harness.parsing import last_json_object
from harness.paths import WORK

PLAN = """[search]
trials = {trials}
epochs = {epochs}
heartbeat_s = 10
prune = {prune}
"""
# The search's sampler and space, a heartbeat as the workers beat it, an objective that returns at once.
OVERHEAD = """
import json, sys, time, warnings
import optuna
from optuna.storages import RDBStorage, RetryFailedTrialCallback
warnings.simplefilter("ignore")
optuna.logging.set_verbosity(optuna.logging.WARNING)
def objective(trial):
    trial.suggest_float("learning_rate", 3e-4, 3e-3, log=True)
    trial.suggest_float("dropout_rate", 0.0, 0.4)
    trial.suggest_categorical("n_hidden", [64, 128, 192, 256])
    return 1.0
result = {}
for name, url in (("postgresql", sys.argv[1]), ("sqlite", "sqlite:////tmp/overhead.db"), ("memory", None)):
    storage = RDBStorage(url, heartbeat_interval=60, grace_period=180,
                         failed_trial_callback=RetryFailedTrialCallback(max_retry=2)) if url else None
    study = optuna.create_study(study_name="overhead-" + name, storage=storage,
                                sampler=optuna.samplers.TPESampler(seed=1, constant_liar=True))
    started = time.monotonic()
    study.optimize(objective, n_trials=int(sys.argv[2]))
    result[name] = round((time.monotonic() - started) / int(sys.argv[2]) * 1000, 1)
print(json.dumps(result))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=6, help="trials per study (default: %(default)s)")
    parser.add_argument("--epochs", type=int, default=1, help="epochs per trial (default: %(default)s)")
    parser.add_argument("--overhead-trials", type=int, default=40, help="trials of the empty objective (default: %(default)s)")
    parser.add_argument("--prune-epochs", type=int, default=6, help="epochs per trial of the pruning comparison; 0: none "
                                                                    "(default: %(default)s)")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    image, _ = build_image(bake(WORK / "bench-search"), "cpu")
    rows = []
    plan = {"/data/plan.toml": PLAN.format(trials=args.trials, epochs=args.epochs, prune="true")}
    pruning = []
    with cluster.database() as (address, password):
        url = cluster.url(address)
        for count in (1, 2):
            with cluster.workers(image, count, address, password, files=plan) as boxes:
                for box in boxes:
                    cluster.start(box, f"playbook search --name bench-{count} --space /data/plan.toml --storage {url} --worker")
                seconds = cluster.wait_until_done(boxes, 3600)
                summary = last_json_object(cluster.ok(boxes[0], "cat /tmp/search.log"))
                rows.append({"workers": count, "trials": summary["trials"], "seconds": round(seconds, 1),
                             "trials_per_hour": round(summary["trials"] / seconds * 3600, 1),
                             "best_dev_loss": summary["best_dev_loss"]})
                if count == 1:
                    overhead = json.loads(cluster.ok(boxes[0], f"/opt/venv/bin/python -c '{OVERHEAD}' {url} "
                                                               f"{args.overhead_trials}").strip().splitlines()[-1])
        if args.prune_epochs:
            for prune in ("false", "true"):
                plans = {"/data/plan.toml": PLAN.format(trials=args.trials, epochs=args.prune_epochs, prune=prune)}
                with cluster.workers(image, 1, address, password, files=plans) as (box,):
                    # Not --worker: a study started by its first process draws with --seed (1), so both studies try
                    # the same settings (TPE draws its first 10 at random), and only pruning differs.
                    cluster.start(box, f"playbook search --name prune-{prune} --space /data/plan.toml --storage {url}")
                    seconds = cluster.wait_until_done([box], 3600)
                    summary = last_json_object(cluster.ok(box, "cat /tmp/search.log"))
                    trained = cluster.ok(box, f"/opt/venv/bin/python -c 'import csv; print(sum(int(r[\"epochs\"] or 0) for r in "
                                              f"csv.DictReader(open(\"/data/searches/prune-{prune}/trials.csv\"))))'")
                    pruning.append({"prune": prune == "true", "epochs_trained": int(trained.strip().splitlines()[-1]),
                                    "of_epochs": args.trials * args.prune_epochs, "minutes": round(seconds / 60, 2),
                                    "pruned": summary["states"].get("pruned", 0), "best_dev_loss": summary["best_dev_loss"]})
    one = rows[0]["trials_per_hour"]
    print(f"\n{args.trials} trials of {args.epochs} epoch(s) on the sample, 2 cores; one PostgreSQL study")
    print("| workers | trials | seconds | trials per hour | speed-up | best dev loss |")
    print("|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(f"| {row['workers']} | {row['trials']} | {row['seconds']} | {row['trials_per_hour']} | "
              f"{row['trials_per_hour'] / one:.2f} | {row['best_dev_loss']:.2f} |")
    print(f"\nmilliseconds per trial of an empty objective ({args.overhead_trials} trials, TPE, heartbeat on): "
          + ", ".join(f"{name} {ms}" for name, ms in overhead.items()))
    if pruning:
        print(f"\npruning, 1 worker, {args.trials} trials of {args.prune_epochs} epochs:")
        print("| prune | trials pruned | epochs trained | minutes | best dev loss |")
        print("|---|---:|---:|---:|---:|")
        for row in pruning:
            print(f"| {str(row['prune']).lower()} | {row['pruned']} | {row['epochs_trained']} of {row['of_epochs']} | "
                  f"{row['minutes']} | {row['best_dev_loss']:.2f} |")
    bench_figures.write("search", {"trials": args.trials, "epochs": args.epochs, "rows": rows, "pruning": pruning,
                                   "overhead_ms_per_trial": overhead,
                                   "database_ms_per_trial": round(overhead["postgresql"] - overhead["memory"], 1)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
