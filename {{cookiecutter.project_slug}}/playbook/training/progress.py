"""Training progress from the engines' own progress bar, readable in a log.

Training runs with the engines' progress bar on (both engines draw it the same way). Away from a terminal
it prints one line per step,
    Epoch 3 |   Training | Elapsed Time: 0:00:05 | Steps: 27 | Loss: 41.273521
(validation likewise, with " | Dataset: ..."), and a line of 80 dashes when an epoch is done, after its
checkpoints are saved. Those step lines stay out of the output: an epoch is recorded from its last ones at
the dashes, and a line says how far the epoch is every PROGRESS_SECONDS, with the rate and the time left.
"""
import re
import time

# The elapsed time is a timedelta's text: "0:00:05", "12:03:07", "1 day, 2:03:04".
PROGRESS_LINE = re.compile(r"^Epoch (\d+) \|\s*(Training|Validation) \| Elapsed Time: (?:(\d+) days?, )?(\d+):(\d\d):(\d\d) \| "
                           r"Steps: (\d+) \| Loss: ([0-9.eE+-]+|nan|inf)")
EPOCH_END = re.compile(r"^-{80}$")
PROGRESS_SECONDS = 30


def _duration(seconds):
    minutes, seconds = divmod(int(round(seconds)), 60)
    return "{} min {} s".format(minutes, seconds) if minutes else "{} s".format(seconds)


class EpochProgress:
    """Feed it the engine's lines; it says which to show, what to print and which epochs are done.

    OFFSET: epochs the run had before this invocation; EPOCHS: how many this invocation trains; STEPS_HINT:
    the steps an epoch should take (train rows / batch size), until the first epoch says exactly."""

    def __init__(self, offset, epochs, steps_hint=None, clock=time.monotonic):
        self.offset, self.total, self.steps = offset, offset + epochs, steps_hint
        self.clock, self.last_said = clock, clock()
        self.current = None  # engine epoch -> {"train_loss", "steps", "seconds", ["dev_loss"]}

    def feed(self, line):
        """(show the line?, a progress line to print or None, a finished epoch's record or None)."""
        text = line.strip()
        match = PROGRESS_LINE.match(text)
        if match:
            epoch, phase = int(match.group(1)), match.group(2)
            days, hours, minutes, seconds = (int(match.group(n) or 0) for n in (3, 4, 5, 6))
            seconds += ((days * 24 + hours) * 60 + minutes) * 60
            steps, loss = int(match.group(7)), float(match.group(8))
            if self.current is None or self.current["engine_epoch"] != epoch:
                self.current = {"engine_epoch": epoch}
            if phase == "Training":
                self.current.update(train_loss=loss, steps=steps, seconds=seconds)
                return False, self._progress(epoch, steps, seconds, loss), None
            self.current["dev_loss"] = loss
            return False, None, None
        if EPOCH_END.match(text):
            return True, None, self.finish()
        return True, None, None

    def _progress(self, epoch, steps, seconds, loss):
        if self.clock() - self.last_said < PROGRESS_SECONDS or not steps or not seconds:
            return None
        self.last_said = self.clock()
        rate = steps / float(seconds)
        text = "epoch {} of {}: step {}".format(self.offset + epoch + 1, self.total, steps)
        if self.steps and steps < self.steps:
            text += " of about {} ({:.0%}), {:.1f} steps/s, loss {:.3f}, about {} to go".format(
                self.steps, steps / float(self.steps), rate, loss, _duration((self.steps - steps) / rate))
        else:
            text += ", {:.1f} steps/s, loss {:.3f}".format(rate, loss)
        return text

    def finish(self):
        """The epoch in progress as a record for epochs.jsonl (its number counted across the run), or None."""
        done, self.current = self.current, None
        if not done or "train_loss" not in done:
            return None
        self.steps = done["steps"]
        self.last_said = self.clock()
        record = {"epoch": self.offset + done.pop("engine_epoch")}
        record.update(done)
        return record

    def summary(self, record):
        text = "epoch {} of {}: train loss {:.6f} ({} steps, {})".format(
            record["epoch"] + 1, self.total, record["train_loss"], record["steps"], _duration(record["seconds"]))
        if "dev_loss" in record:
            text += ", dev loss {:.6f}".format(record["dev_loss"])
        return text
