"""A search across machines (docs/hyperparameters.md, "A search across machines"): one Optuna study in PostgreSQL
(Debian's server, harness/postgres/), two workers in containers of the CPU image, each on its own data volume as
two cloud machines would be, and this harness's own Optuna (CPython 3.11, a newer release than the workers' 4.0.0)
reading the same study back (through psycopg2: SQLAlchemy 2.1 takes `postgresql://` for psycopg 3). One worker
is killed in the middle of a trial, as a preempted machine is; its trial runs again on the other. Then the bad
inputs a user meets: a wrong password, a password on the command line, a worker with another search space, a
second study of the same name."""
import json
import re
import time

import pytest

from harness import search_cluster as cluster

TRIALS = 4
# One-epoch trials; a heartbeat every 5 s, so that the killed worker's trial is taken for dead 15 s after it stopped;
# each finished trial's run pushed to a bucket (rclone's local backend: a folder of the worker's volume).
PLAN = """[search]
trials = 4
epochs = 1
heartbeat_s = 5
retries = 1
push = ":local:/data/bucket"
[search.space]
learning_rate = {low = 0.0003, high = 0.003, log = true}
n_hidden = [32, 64]
"""
OTHER_PLAN = PLAN.replace("n_hidden = [32, 64]", "n_hidden = [64, 128]")


@pytest.fixture()
def database(docker_engine):
    with cluster.database() as (address, password):
        yield address, password


@pytest.fixture()
def workers(cpu_image, database):
    with cluster.workers(cpu_image, 2, *database, files={"/data/plan.toml": PLAN, "/data/other-plan.toml": OTHER_PLAN}) as boxes:
        yield boxes


@pytest.mark.container
def test_two_workers_share_a_study_in_postgresql_and_a_killed_workers_trial_runs_again(database, workers):
    address, password = database
    url = cluster.url(address)
    first, second = workers
    search = f"playbook search --name spread --space /data/plan.toml --storage {url} --worker"
    started = time.monotonic()  # the first worker starts the study, the second joins it
    cluster.start(first, search)
    cluster.wait_for(first, "=== trial 0", 120)
    cluster.start(second, search)
    # The second worker dies (its machine preempted: every process at once) once its trial's training is under way.
    cluster.wait_for(second, "STARTING Optimization", 180)
    killed_log = cluster.sh(second, "cat /tmp/search.log")[1]
    second.get_wrapped_container().kill()
    killed_trial = int(re.search(r"^=== trial (\d+)", killed_log, re.M).group(1))
    # The first goes on alone: it fails the silent worker's trial once its heartbeat is 15 s old, runs it again,
    # and stays until the study has its 4 finished trials.
    cluster.wait_until_done([first], 420)
    seconds = time.monotonic() - started
    log = cluster.sh(first, "cat /tmp/search.log")[1]
    print(f"the study took {seconds:.0f} s; the first worker's log:\n" + "\n".join(
        line for line in log.splitlines() if line.startswith(("===", "epoch", "|", "Best", "Importances"))))
    assert "Traceback" not in log, log[-3000:]
    summary = json.loads(log[log.rindex("\n{"):])
    assert summary["trials"] == TRIALS and summary["states"] == {"complete": TRIALS, "fail": 1}, summary
    assert summary["storage"] == url and password not in log, summary  # the URL as shown: no password
    assert f"(trial {killed_trial} again: its worker stopped)" in log, log[-3000:]

    # The same study through this harness's Optuna, a newer release on CPython 3.11: numbers unique, the dead
    # worker's trial failed and run again with the same settings on the other worker, every run on its volume.
    import optuna
    study = optuna.load_study(study_name="spread", storage=f"postgresql+psycopg2://playbook:{password}@{address}:5432/playbook")
    trials = study.get_trials()
    assert len({t.number for t in trials}) == len(trials) == TRIALS + 1, trials
    failed = [t for t in trials if t.state == optuna.trial.TrialState.FAIL]
    assert [t.number for t in failed] == [killed_trial], trials
    again = [t for t in trials if t.system_attrs.get("failed_trial") == killed_trial]
    assert len(again) == 1 and again[0].state == optuna.trial.TrialState.COMPLETE and again[0].params == failed[0].params
    complete = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
    first_host = first.get_wrapped_container().attrs["Config"]["Hostname"]
    assert {t.user_attrs["worker"].split(":")[0] for t in complete} == {first_host}, [t.user_attrs for t in trials]
    assert {t.user_attrs["run"] for t in complete} <= cluster.runs(first)
    pushed = set(cluster.sh(first, "ls /data/bucket/runs")[1].split())
    assert pushed == {t.user_attrs["run"] for t in complete}, pushed  # every finished trial's run, and only those
    best = f"runs/{summary['best_run']}/checkpoints/best_dev_checkpoint"
    assert cluster.sh(first, f"cmp /data/{best} /data/bucket/{best}")[0] == 0  # the pushed run names the same checkpoint
    assert study.best_trial.user_attrs["run"] == summary["best_run"]

    # The preempted machine's disk outlived it: the run it was writing is still there, and the report reads the
    # study from there too.
    second.get_wrapped_container().start()
    assert f"spread-t{killed_trial:02d}" in cluster.runs(second)
    report = cluster.ok(second, f"playbook search --name spread --storage {url} --report")
    assert f"Best: trial {study.best_trial.number}, run {summary['best_run']}" in report, report
    assert json.loads(report[report.rindex("\n{"):])["best_run"] == summary["best_run"]
    assert cluster.sh(second, "test -s /data/searches/spread/trials.png")[0] == 0

    # Bad input: one sentence each, nothing made or lost.
    before = cluster.runs(first), cluster.runs(second)
    code, wrong = cluster.sh(second, f"PGPASSWORD=wrong PGPASSFILE=/dev/null playbook search --name other --storage {url} 2>&1")
    assert code == 2 and "refused user playbook's login" in wrong and "PGPASSWORD" in wrong and "Traceback" not in wrong, wrong
    code, on_line = cluster.sh(second, f"playbook search --name other --storage postgresql://playbook:{password}@{address}/playbook 2>&1")
    assert code == 2 and "holds a password" in on_line and password not in on_line, on_line
    code, other = cluster.sh(second, f"playbook search --name spread --space /data/other-plan.toml --storage {url} --worker 2>&1")
    assert code == 2 and "search 'spread' was started with space" in other and "another --name" in other, other
    code, taken = cluster.sh(second, f"playbook search --name spread --space /data/plan.toml --storage {url} 2>&1")
    assert code == 2 and "already exists" in taken and "--worker" in taken, taken
    assert (cluster.runs(first), cluster.runs(second)) == before
    assert cluster.sh(second, "ls /data/searches")[1].split() == ["spread"]  # no folder for the refused searches
