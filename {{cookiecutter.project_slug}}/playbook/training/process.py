"""One engine invocation for a run: the command the engine module builds, run with its output
streamed, each epoch's losses appended to the run's epochs.jsonl and the invocation itself to
invocations.jsonl (start, then end with exit code and steps). A training invocation with a budget is
stopped with SIGINT at the end of the first epoch that finds it spent: both engines save the epoch's
checkpoint before that point and end their epoch loop cleanly on KeyboardInterrupt."""
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid

from .. import config as configuration
from .. import engines
from .. import settings
from ..cloud.gpu import Monitor
from ..errors import UserError
from .budget import BudgetStop
from .runs import checkpoint_step, now

# Both engines log these lines (show_progressbar off).
TRAIN_LINE = re.compile(r"Finished training epoch (\d+) - loss: ([0-9.eE+-]+|nan|inf)")
DEV_LINE = re.compile(r"Finished validating epoch (\d+) on .* - loss: ([0-9.eE+-]+|nan|inf)")
# Both print it when an epoch is done: its checkpoint and any best-dev checkpoint are saved by then.
EPOCH_END = re.compile(r"^-{80}$")


def _log(run, entry):
    with open(str(run / "invocations.jsonl"), "a") as log:
        log.write(json.dumps(entry) + "\n")


def _epoch_offset(run):
    path = run / "epochs.jsonl"
    return sum(1 for line in path.open() if '"train_loss"' in line) if path.is_file() else 0


def run_engine(phase, flags, run, command_line, config=None, env=None, budget=None):
    """Run the engine's PHASE with FLAGS (built by playbook.engines); returns its output.
    BUDGET(seconds this invocation has run) says why the run's budget is spent, or None."""
    engine = engines.current()
    python = settings.EXPORT_PYTHON if phase == "export" else sys.executable
    command = engine.command(python, phase, flags)
    invocation = uuid.uuid4().hex[:8]
    _log(run, {"event": "start", "invocation": invocation, "time": now(), "command": command_line, "engine": engine.describe(),
               "engine_phase": phase, "engine_command": command, "config_hash": configuration.digest(config) if config else None,
               "start_step": checkpoint_step(run / "checkpoints", "checkpoint")})
    print("$ " + " ".join(command), flush=True)
    started, offset, epochs = time.time(), _epoch_offset(run), {}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, bufsize=1,
                               env=dict(os.environ, **(env or {})))
    output, epoch_ended, stopped = [], False, None
    monitor = Monitor.start(run / "gpu.jsonl") if phase == "train" else None
    with open(str(run / "epochs.jsonl"), "a") as epoch_log:
        for line in process.stdout:
            output.append(line)
            sys.stdout.write(line)
            sys.stdout.flush()
            train, dev = TRAIN_LINE.search(line), DEV_LINE.search(line)
            if train:
                epochs[int(train.group(1))] = {"epoch": offset + int(train.group(1)), "invocation": invocation,
                                               "train_loss": float(train.group(2)), "time": now()}
                epoch_ended = True
                warning = monitor.epoch_done(offset + int(train.group(1))) if monitor else None
                if warning:
                    print("warning: " + warning, flush=True)
            if dev and int(dev.group(1)) in epochs:
                record = epochs.pop(int(dev.group(1)))
                record["dev_loss"] = float(dev.group(2))
                epoch_log.write(json.dumps(record) + "\n")
                epoch_log.flush()
            if budget and epoch_ended and not stopped and EPOCH_END.match(line.strip()):
                epoch_ended = False
                stopped = budget(time.time() - started)
                if stopped:
                    print("playbook: {}; stopping after this epoch's checkpoint.".format(stopped), flush=True)
                    process.send_signal(signal.SIGINT)
        for record in epochs.values():  # epochs without validation (no dev set)
            epoch_log.write(json.dumps(record) + "\n")
    code = process.wait()
    if monitor:
        monitor.stop()
    end = {"event": "end", "invocation": invocation, "time": now(), "exit_code": code,
           "seconds": round(time.time() - started, 1), "end_step": checkpoint_step(run / "checkpoints", "checkpoint")}
    if stopped:
        end["budget_stop"] = stopped
    _log(run, end)
    if stopped:
        raise BudgetStop("run '{}' stopped at step {}: {}. Its checkpoints are kept; continue it with a larger budget: "
                         "`playbook train --run {} --resume-if-exists --set max_hours=...` (or max_cost).".format(
                             run.name, end["end_step"], stopped, run.name))
    if code != 0:
        raise UserError("the engine's {} step ({}) failed with exit code {}; its messages are above.".format(
            phase, engine.modules[phase], code))
    return "".join(output)
