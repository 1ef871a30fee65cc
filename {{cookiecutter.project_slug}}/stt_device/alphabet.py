"""alphabet.txt as the engine and its decoder read it.

One label per line, numbered from 0. Empty lines and lines starting with `#`
are skipped; a line that is exactly `\\#` stands for `#`. The CTC blank is the
extra class after the last label. Standard library only (both interpreters).
"""
from pathlib import Path

from .errors import UserError


def labels(path):
    """The labels of an alphabet file, in index order."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise UserError("{} does not exist: every dataset and run keeps its alphabet.txt next to its data.".format(path))
    except UnicodeDecodeError as error:
        raise UserError("{} is not UTF-8 text ({}); save it as UTF-8, one label per line.".format(path, error))
    found = []
    for number, line in enumerate(lines, 1):
        if line == "\\#":
            line = "#"
        elif not line or line.startswith("#"):
            continue
        if line in found:
            raise UserError("{} line {}: label {!r} appears twice; each label must be on one line only.".format(path, number, line))
        found.append(line)
    if not found:
        raise UserError("{} has no labels: write one character per line (the space too).".format(path))
    return found
