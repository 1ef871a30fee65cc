"""One engine invocation for a run: the command the engine module builds, run with its output
streamed (training's step lines summarised, playbook/training/progress.py), each epoch's losses appended to
the run's epochs.jsonl and the invocation itself to invocations.jsonl (start, then end with exit code and
steps). A training invocation with a budget is stopped with SIGINT at the end of the first epoch that finds
it spent: both engines save the epoch's checkpoints before that point and end their epoch loop cleanly on
KeyboardInterrupt. The same stop ends a search's trial that its study prunes (AFTER_EPOCH), and the
invocation then returns as a finished one. A Python traceback from the engine is held back from the screen
and kept in a file: the command ends with one sentence naming the exception (or the full disk) and that file."""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid

from .. import config as configuration
from .. import engines
from .. import settings
from ..machine.gpu import Monitor
from ..errors import UserError
from ..storage import NO_SPACE, no_space
from .budget import BudgetStop, continue_command
from .progress import EpochProgress
from .runs import checkpoint_step, now


def _log(run, entry):
    with open(str(run / "invocations.jsonl"), "a") as log:
        log.write(json.dumps(entry) + "\n")


def _epoch_offset(run):
    path = run / "epochs.jsonl"
    return sum(1 for line in path.open() if '"train_loss"' in line) if path.is_file() else 0


def run_engine(phase, flags, run, command_line, config=None, env=None, budget=None, steps_hint=None, after_epoch=None):
    """Run the engine's PHASE with FLAGS (built by playbook.engines); returns its output.
    BUDGET(seconds this invocation has run) says why the run's budget is spent, or None. STEPS_HINT: how many
    steps a training epoch should take, for the progress lines until the first epoch is done. AFTER_EPOCH(record):
    why training should end after this epoch (a search pruning its trial), or None; the invocation then ends as
    a finished one, its last epoch the one it stopped after."""
    engine = engines.current()
    python = settings.EXPORT_PYTHON if phase == "export" else sys.executable
    command = engine.command(python, phase, flags)
    invocation = uuid.uuid4().hex[:8]
    _log(run, {"event": "start", "invocation": invocation, "time": now(), "command": command_line, "engine": engine.describe(),
               "engine_phase": phase, "engine_command": command, "config_hash": configuration.digest(config) if config else None,
               "start_step": checkpoint_step(run / "checkpoints", "checkpoint")})
    print("$ " + " ".join(command), flush=True)
    started = time.time()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, bufsize=1,
                               env=dict(os.environ, **(env or {})))
    output, stopped, over_budget = [], None, False
    progress = EpochProgress(_epoch_offset(run), flags["epochs"], steps_hint) if phase == "train" else None
    monitor = Monitor.start(run / "gpu.jsonl") if phase == "train" else None

    def epoch_done(record, epoch_log):
        record.update(invocation=invocation, time=now())
        epoch_log.write(json.dumps(record) + "\n")
        epoch_log.flush()
        print(progress.summary(record), flush=True)
        warning = monitor.epoch_done(record["epoch"]) if monitor else None
        if warning:
            print("warning: " + warning, flush=True)

    # From the engine's first traceback on, its lines are held back (the command ends with one sentence naming
    # the exception, and the file that keeps them); they are still read for epochs and returned to the caller.
    held = []
    with open(str(run / "epochs.jsonl"), "a") as epoch_log:
        for line in process.stdout:
            if held or line.startswith("Traceback (most recent call last)"):
                held.append(line)
            show, said, record = progress.feed(line) if progress else (True, None, None)
            if record:  # its summary before the epoch's closing line of dashes
                epoch_done(record, epoch_log)
                if not stopped:
                    stopped = budget(time.time() - started) if budget else None
                    over_budget = bool(stopped)
                    stopped = stopped or (after_epoch(record) if after_epoch else None)
                    if stopped:
                        print("playbook: {}; stopping after this epoch's checkpoint.".format(stopped), flush=True)
                        process.send_signal(signal.SIGINT)
            if show:
                output.append(line)
                if not held:
                    sys.stdout.write(line)
                    sys.stdout.flush()
            if said:
                print(said, flush=True)
        code = process.wait()
        # An early stop leaves its loop before the epoch's dashes; a killed or stopped epoch is not finished.
        record = progress.finish() if progress and code == 0 and not stopped else None
        if record:
            epoch_done(record, epoch_log)
    if monitor:
        monitor.stop()
    end = {"event": "end", "invocation": invocation, "time": now(), "exit_code": code,
           "seconds": round(time.time() - started, 1), "end_step": checkpoint_step(run / "checkpoints", "checkpoint")}
    if stopped:
        end["budget_stop" if over_budget else "stopped"] = stopped
    _log(run, end)
    if over_budget:
        raise BudgetStop("run '{}' stopped at step {}: {}. Its checkpoints are kept; continue it with a larger budget: "
                         "{}.".format(run.name, end["end_step"], stopped, continue_command(run.name)))
    kept = _keep(run, phase, held) if held else None
    if code != 0:
        full = next((line for line in held + output if NO_SPACE in line), None)
        if full:
            # The file the engine names (a checkpoint's temp file), else where this phase writes.
            where = re.search(re.escape(str(settings.DATA_ROOT)) + r"/[^\s;:,'\"]+", full)
            where = where.group(0) if where else flags.get("export_dir") or run
            raise UserError(no_space(where) + (" (The engine's messages: {}.)".format(kept) if kept else ""))
        if kept:
            raise UserError("the engine's {} step ({}) failed with exit code {}: {}; its traceback is in {}.".format(
                phase, engine.modules[phase], code, _exception(held), kept))
        raise UserError("the engine's {} step ({}) failed with exit code {}; its messages are above.".format(
            phase, engine.modules[phase], code))
    if kept:
        print("note: the engine printed a traceback and went on; it is in {}.".format(kept), flush=True)
    return "".join(output)


# The last line of a Python traceback: `module.path.SomeError: message`.
EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt)\b.*")


def _exception(held):
    lines = [line.strip() for line in held if EXCEPTION_LINE.match(line)]
    text = lines[-1] if lines else held[-1].strip()
    return text if len(text) <= 300 else text[:297] + "..."


def _keep(run, phase, held):
    """The held-back lines in RUN/engine-<phase>-error.log, or in /tmp when the run's disk takes nothing more."""
    text = "".join(held)
    try:
        path = run / "engine-{}-error.log".format(phase)
        path.write_text(text)
        return path
    except OSError:
        handle, path = tempfile.mkstemp(prefix="engine-{}-error-".format(phase), suffix=".log")
        with os.fdopen(handle, "w") as log:
            log.write(text)
        return path
