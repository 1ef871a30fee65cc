"""Word and character error rates of transcripts against references, over a whole set.

The rates are corpus-level, as the engine's evaluate and jiwer report them: the sum of
edit distances divided by the sum of reference lengths, not a mean of per-file rates.
"""
import csv
from pathlib import Path

from .errors import UserError

# The engine's CSV columns (DeepSpeech and Coqui STT use the same ones).
CSV_COLUMNS = ("wav_filename", "transcript")


def edit_distance(reference, hypothesis):
    """Levenshtein distance between two sequences (strings, or lists of words)."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref_item in enumerate(reference, 1):
        current = [i]
        for j, hyp_item in enumerate(hypothesis, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_item != hyp_item)))
        previous = current
    return previous[-1]


class ErrorRates:
    """Accumulates edits and reference lengths; cer and wer are None until a reference is non-empty."""

    def __init__(self):
        self.char_edits = self.chars = self.word_edits = self.words = 0

    def add(self, reference, hypothesis):
        self.char_edits += edit_distance(reference, hypothesis)
        self.chars += len(reference)
        self.word_edits += edit_distance(reference.split(), hypothesis.split())
        self.words += len(reference.split())
        return {"cer": round(edit_distance(reference, hypothesis) / float(max(1, len(reference))), 4),
                "wer": round(edit_distance(reference.split(), hypothesis.split()) / float(max(1, len(reference.split()))), 4)}

    @property
    def cer(self):
        return round(self.char_edits / float(self.chars), 4) if self.chars else None

    @property
    def wer(self):
        return round(self.word_edits / float(self.words), 4) if self.words else None


def read_csv(path):
    """[(audio path, reference)] of an engine CSV; relative audio paths are relative to the CSV's folder."""
    path = Path(path)
    if not path.is_file():
        raise UserError("{}: no such file.".format(path))
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in CSV_COLUMNS if column not in (reader.fieldnames or [])]
        if missing:
            raise UserError("{} has no {} column (it has: {}); an engine CSV has the columns wav_filename, wav_filesize "
                            "and transcript.".format(path, " or ".join(missing), ", ".join(reader.fieldnames or []) or "none"))
        rows = []
        for number, row in enumerate(reader, 2):
            if not row["wav_filename"]:
                raise UserError("{}, line {}: wav_filename is empty.".format(path, number))
            audio = Path(row["wav_filename"])
            rows.append((audio if audio.is_absolute() else path.parent / audio, row["transcript"] or ""))
    if not rows:
        raise UserError("{} holds no rows to transcribe.".format(path))
    return rows
