"""`playbook search`: an Optuna study (the TPE sampler) that minimises the best dev loss over the plan's space.

Every trial is an ordinary run, <name>-tNN, that can be resumed, evaluated and exported like any other. One
process may run the whole study (the SQLite default), or many workers on many machines share it through
PostgreSQL (--storage, --worker): each takes the next trial the study hands out, until the plan's trial count has
finished. Workers are alike: the first to come starts the study with its plan, the others join it. A worker stays
while other workers' trials run, so that it can run again one whose worker died."""
import json
import os
import socket
import time
import warnings
from collections import Counter

from ... import settings
from ...errors import UserError
from ..train import train
from . import report as reporting, space, storage as storages

POLL_S = 5  # how often a worker with nothing to run looks at the study again


def _quiet():
    """Optuna's warnings: heartbeats, retries and constant_liar are marked experimental, and say so on every start;
    the retry callback reads a deprecated field of its own (Optuna's business, not the user's)."""
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    warnings.filterwarnings("ignore", category=FutureWarning, module="optuna")


def _study(name, plan, url, worker, seed, given):
    """The study NAME: a new one, or with WORKER the one there is (started here if nobody has yet, so that N workers
    can be launched alike, and one restarted after a preemption joins again)."""
    import optuna
    rdb = storages.open_storage(url, plan["heartbeat_s"], plan["retries"])
    if not worker and storages.has_study(rdb, name):
        raise UserError("search '{}' already exists in {}; pick another --name, or join it with --worker."
                        .format(name, storages.shown(url)))
    # Parallel workers each draw from the study as it stands; constant_liar keeps them from drawing the same point.
    sampler = optuna.samplers.TPESampler(seed=None if worker else seed, constant_liar=True)
    # Each worker prunes by its own plan, which join() has checked is the study's.
    pruner = (optuna.pruners.MedianPruner(n_startup_trials=plan["prune_startup"], n_warmup_steps=plan["prune_warmup"])
              if plan["prune"] else optuna.pruners.NopPruner())
    try:
        study = optuna.create_study(study_name=name, storage=rdb, direction="minimize", sampler=sampler, pruner=pruner,
                                    load_if_exists=worker)
    except optuna.exceptions.DuplicatedStudyError:
        raise UserError("search '{}' was started in {} a moment ago by another process; join it with --worker."
                        .format(name, storages.shown(url)))
    if "plan" in study.user_attrs:
        space.join(name, study.user_attrs["plan"], plan, given)
    else:
        study.set_user_attr("plan", space.shared(plan))
    return study


def _work(study, objective, plan):
    """Trials until the plan's count have finished: first any trial queued again after its worker died."""
    import optuna
    from optuna.trial import TrialState
    while True:
        optuna.storages.fail_stale_trials(study)  # a silent worker's trial: failed, and queued again
        counts = Counter(trial.state for trial in study.get_trials(deepcopy=False))
        ended = counts[TrialState.COMPLETE] + counts[TrialState.PRUNED]
        if counts[TrialState.WAITING] or ended + counts[TrialState.RUNNING] < plan["trials"]:
            study.optimize(objective, n_trials=1)
        elif counts[TrialState.RUNNING]:
            time.sleep(min(plan["heartbeat_s"], POLL_S))  # others' trials: stay in case one of their workers dies
        else:
            return


def search(name, dataset, trials=None, epochs=None, seed=1, fixed=(), storage=None, worker=False, space_file=None,
           push=None):
    import optuna
    from optuna.storages import RetryFailedTrialCallback
    _quiet()
    plan = space.load(space_file, dataset=dataset, trials=trials, epochs=epochs, push=push, fixed=fixed)
    folder = settings.SEARCHES / name
    url = storages.url_for(storage, folder)
    if url.startswith("sqlite"):  # the study's file is in the search's folder on this volume
        if not worker and folder.exists():
            raise UserError("search '{}' already exists in {}; pick another --name, or join it with --worker.".format(name, folder))
        folder.mkdir(parents=True, exist_ok=True)
    study = _study(name, plan, url, worker, seed, given={"trials": trials, "epochs": epochs})
    folder.mkdir(parents=True, exist_ok=True)  # the report's, once the study is there
    here = "{}:{}".format(socket.gethostname(), os.getpid())  # two workers may share a machine (one per GPU)
    fixed_settings = ["{}={}".format(key, value) for key, value in plan["fixed"].items()]

    def objective(trial):
        params = space.suggest(trial, plan["space"])
        run = "{}-t{:02d}".format(name, trial.number)
        retry_of = RetryFailedTrialCallback.retried_trial_number(trial)
        trial.set_user_attr("run", run)
        trial.set_user_attr("worker", here)
        # Numbers count every trial the study began, a retried one's new number too: more than the plan's count then.
        print("=== trial {}{}: run {} on {} {}".format(
            trial.number, "" if retry_of is None else " (trial {} again: its worker stopped)".format(retry_of),
            run, here, json.dumps(params)), flush=True)
        overrides = fixed_settings + ["epochs={}".format(plan["epochs"])] + ["{}={}".format(k, v) for k, v in params.items()]
        pruned = []

        def after_epoch(record):
            """Each epoch's dev loss goes to the study; the pruner may end the trial there (not after its last epoch:
            that one ends anyway, and finishes the trial)."""
            if "dev_loss" not in record:
                return None
            epochs_done = record["epoch"] + 1
            trial.report(record["dev_loss"], epochs_done)
            if epochs_done < plan["epochs"] and trial.should_prune():
                pruned.append(epochs_done)
                return ("the study prunes trial {}: dev loss {:.3f} after epoch {} is worse than the median of the "
                        "complete trials' there".format(trial.number, record["dev_loss"], epochs_done))
            return None

        result = train(run, dataset, overrides=overrides, command_line="playbook search --name {}".format(name),
                       after_epoch=after_epoch)
        if result["best_dev_loss"] is None:
            raise UserError("trial run {} reported no dev loss; check its dev.csv.".format(run))
        trial.set_user_attr("first_dev_loss", result["first_dev_loss"])
        trial.set_user_attr("epochs", pruned[0] if pruned else plan["epochs"])
        if plan["push"]:  # a pruned trial's run too: it is a run like the others, only shorter
            from ...cloud.sync import push as push_run
            push_run(plan["push"], what=("runs/" + run,))
        if pruned:
            raise optuna.TrialPruned()
        return result["best_dev_loss"]

    _work(study, objective, plan)
    summary = reporting.write(study, folder)
    summary.update(storage=storages.shown(url), worker=here)
    return summary


def report(name, storage=None):
    """The study's report, from its storage, on any machine that reaches it: printed and written to SEARCHES/<name>/."""
    import optuna
    _quiet()
    folder = settings.SEARCHES / name
    url = storages.url_for(storage, folder)
    if url.startswith("sqlite") and not (folder / "study.db").is_file():
        raise UserError("there is no search '{}' in {}; `ls {}` lists the searches here.".format(name, folder, settings.SEARCHES))
    rdb = storages.open_storage(url, 60, 0)
    if not storages.has_study(rdb, name):
        raise UserError("there is no search '{}' in {}.".format(name, storages.shown(url)))
    folder.mkdir(parents=True, exist_ok=True)
    summary = reporting.write(optuna.load_study(study_name=name, storage=rdb), folder)
    summary.update(storage=storages.shown(url))
    return summary
