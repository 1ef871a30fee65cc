"""A run's budget: wall-clock hours (max_hours) and cost (hours x hourly_cost, max_cost), counted across every
invocation of the run from its own invocations.jsonl, so that a job restarted on another machine (a preempted
spot instance) keeps spending the same budget instead of starting a new one.

An invocation that ended is counted by its recorded seconds; one that was killed (no end line) from its start
to the last epoch it finished, the last moment the run's log can vouch for.
"""
import calendar
import json
import time

from ..errors import UserError

BUDGET_KEYS = ("max_hours", "hourly_cost", "max_cost")


class BudgetStop(UserError):
    """Training stopped (or was refused) because the run's budget is spent; the run resumes later."""
    # EX_TEMPFAIL: a temporary condition; a job scheduler should not retry it as a failure.
    exit_code = 75


def _seconds(stamp):
    return calendar.timegm(time.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ"))


def hours_used(run):
    """Wall-clock hours RUN's engine invocations have taken so far."""
    starts, seconds = {}, 0.0
    path = run / "invocations.jsonl"
    for line in (path.open() if path.is_file() else ()):
        entry = json.loads(line)
        if entry.get("event") == "start" and entry.get("engine_phase", "train") == "train":
            starts[entry["invocation"]] = _seconds(entry["time"])
        elif entry.get("event") == "end" and entry.get("invocation") in starts:
            starts.pop(entry["invocation"])
            seconds += entry.get("seconds", 0.0)
    if starts:  # killed invocations: up to the last epoch each one finished
        last = {}
        epochs = run / "epochs.jsonl"
        for line in (epochs.open() if epochs.is_file() else ()):
            record = json.loads(line)
            if record.get("invocation") in starts and "time" in record:
                last[record["invocation"]] = _seconds(record["time"])
        seconds += sum(last[i] - started for i, started in starts.items() if i in last)
    return seconds / 3600.0


def check(config):
    if config["max_cost"] and not config["hourly_cost"]:
        raise UserError("max_cost = {} needs hourly_cost, what the machine costs per hour (your cloud's price), to count "
                        "against; set it with --set hourly_cost=1.20.".format(config["max_cost"]))


def spent(config, hours):
    """Why the budget is spent after HOURS, or None."""
    if config["max_hours"] and hours >= config["max_hours"]:
        return "max_hours {} reached ({:.4f} h used)".format(config["max_hours"], hours)
    if config["max_cost"] and hours * config["hourly_cost"] >= config["max_cost"]:
        return "max_cost {} reached ({:.4f} h at {} per hour)".format(config["max_cost"], hours, config["hourly_cost"])
    return None


def continue_command(name):
    """The command that continues run NAME with a larger budget."""
    return "`playbook train --run {} --resume-if-exists --set max_hours=...` (or max_cost)".format(name)


def require_left(run, config, hours):
    """Refuse to start training a run whose budget is already spent after HOURS (hours_used)."""
    reason = spent(config, hours)
    if reason:
        raise BudgetStop("run '{}': {}; raise the budget to continue it, for example {}.".format(
            run.name, reason, continue_command(run.name)))
