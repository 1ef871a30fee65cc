"""Every row of a dataset checked before the engine sees it; a rejected row gets one reason.

The engine reads a CSV's rows only when it reaches them: a missing file, a transcript it cannot
spell or one too long for its audio stops training there, sometimes an hour in. These checks
read only the WAV headers (the stdlib `wave` module, which is what the engine reads WAV with),
so a large dataset is checked in seconds; `deep=True` also reads the samples to find silence.
Standard library only, numpy for the deep check.
"""
import collections
import csv
import math
import re
import wave
from pathlib import Path

from ..errors import UserError
from ..settings import SAMPLE_RATE
from .text import describe

ENGINE_FORMAT = (SAMPLE_RATE, 1, 2)  # (rate, channels, bytes per sample): 16 kHz mono 16-bit PCM
# The engine's feature frames: a 32 ms window every 20 ms (audio_window_samples, audio_step_samples).
WINDOW_SAMPLES, STEP_SAMPLES = 512, 320
DEFAULT_MIN_SECONDS = 0.3
DEFAULT_MAX_SECONDS = 20.0  # longer clips need memory for the whole sequence and are rare in corpora
SILENCE_PEAK = 0.001  # -60 dBFS: a recording whose loudest sample is below this holds no speech

# reason -> what it means; the ERRORS stop training, the others are reported. FIXES: what to do.
REASONS = collections.OrderedDict([
    ("missing", "the audio file does not exist"),
    ("unreadable", "the audio cannot be read: corrupt, truncated, or (in a dataset) not a WAV file"),
    ("wrong_format", "the audio is not 16 kHz mono 16-bit PCM, the engine's format"),
    ("empty_audio", "the audio holds no samples"),
    ("silent", "the audio is silent (its loudest sample is below -60 dBFS)"),
    ("too_short", "the audio is shorter than the minimum length"),
    ("too_long", "the audio is longer than the maximum length"),
    ("empty_transcript", "the transcript is empty"),
    ("outside_alphabet", "the transcript has characters outside the alphabet"),
    ("transcript_too_long", "the transcript has more characters than the audio has 20 ms frames (CTC needs one "
                            "frame per character and one more between repeated characters)"),
    ("duplicate", "the same audio file is in an earlier row"),
])
ERRORS = ("missing", "unreadable", "wrong_format", "empty_audio", "empty_transcript", "outside_alphabet",
          "transcript_too_long")
FIXES = {
    "missing": "copy the file into the dataset folder or remove the row",
    "unreadable": "convert it with `playbook import`, or remove the row",
    "wrong_format": "convert the dataset with `playbook import csv`, which writes 16 kHz mono 16-bit WAV",
    "empty_audio": "remove the row",
    "empty_transcript": "write its transcript or remove the row",
    "outside_alphabet": "add the characters to alphabet.txt, map them with `playbook import --map C=TEXT`, or remove the row",
    "transcript_too_long": "check that the transcript belongs to this audio, or remove the row",
    "silent": "check the recording; `playbook import` leaves it out",
    "too_short": "usually a cut-off recording; `--min-seconds` sets the bound",
    "too_long": "split it, or raise `--max-seconds` if memory allows",
    "duplicate": "keep one row per recording; a file in two splits makes the test set meaningless",
}


def markdown_table():
    """The reasons, for docs/data.md (a test keeps the chapter's copy equal to this)."""
    rows = ["| reason | what it means | stops training | what to do |", "|---|---|---|---|"]
    for reason, meaning in REASONS.items():
        rows.append("| `{}` | {} | {} | {} |".format(reason, meaning, "yes" if reason in ERRORS else "no",
                                                    FIXES[reason]))
    return "\n".join(rows) + "\n"


def frames(samples):
    """Feature frames the engine computes from SAMPLES samples at 16 kHz."""
    return 0 if samples < WINDOW_SAMPLES else 1 + (samples - WINDOW_SAMPLES) // STEP_SAMPLES


def ctc_frames_needed(transcript):
    """CTC's minimum input length: one frame per label, plus a blank between two equal labels."""
    return len(transcript) + sum(1 for a, b in zip(transcript, transcript[1:]) if a == b)


class Row(object):
    __slots__ = ("csv", "line", "wav", "transcript", "seconds", "reason", "detail")

    def __init__(self, csv_path, line, wav, transcript):
        self.csv, self.line, self.wav, self.transcript = csv_path, line, wav, transcript
        self.seconds, self.reason, self.detail = None, None, ""

    def where(self):
        return "{} line {}".format(self.csv, self.line)


def dbfs(level):
    return "0" if level == 0 else "{:.0f} dBFS".format(20 * math.log10(level))


def audio_header(path):
    """(samples, rate, channels, sample width in bytes) from a WAV header, or a reason and its detail."""
    try:
        with wave.open(str(path), "rb") as audio:
            return (audio.getnframes(), audio.getframerate(), audio.getnchannels(), audio.getsampwidth()), None, ""
    except FileNotFoundError:
        return None, "missing", ""
    except (wave.Error, EOFError, OSError) as error:
        tag = re.match(r"unknown format: (\d+)", str(error))
        if tag:  # a valid WAV that is not plain PCM: 65534 is WAVE_FORMAT_EXTENSIBLE (24-bit, 32-bit, multichannel)
            return None, "wrong_format", "WAV format tag {}{}".format(tag.group(1), " (extensible: 24- or 32-bit, or many "
                                                                     "channels)" if tag.group(1) == "65534" else "")
        return None, "unreadable", str(error)


def peak(path):
    """The loudest sample of a 16-bit WAV file, in [0, 1]."""
    import numpy as np
    with wave.open(str(path), "rb") as audio:
        data = np.frombuffer(audio.readframes(audio.getnframes()), dtype="<i2")
    return float(np.abs(data.astype(np.int32)).max()) / 32768.0 if len(data) else 0.0


def check_row(row, labels, seen, min_seconds=DEFAULT_MIN_SECONDS, max_seconds=DEFAULT_MAX_SECONDS, deep=False):
    """Sets row.reason (None when the row is good), row.detail and row.seconds. LABELS is a set;
    SEEN maps each resolved audio path met so far to the row that had it."""
    header, row.reason, row.detail = audio_header(row.wav)
    if header is None:
        return row
    samples, rate, channels, width = header
    row.seconds = samples / float(rate) if rate else 0.0
    key = str(Path(row.wav).resolve())
    row.reason, row.detail = _reason(row, samples, (rate, channels, width), labels, seen.get(key), min_seconds, max_seconds, deep)
    seen.setdefault(key, row.where())
    return row


def _reason(row, samples, audio_format, labels, first_seen, min_seconds, max_seconds, deep):
    if audio_format != ENGINE_FORMAT:
        return "wrong_format", "{} Hz, {} channel(s), {}-bit".format(audio_format[0], audio_format[1], 8 * audio_format[2])
    if not row.transcript.strip():
        return "empty_transcript", ""
    unknown = outside(row.transcript, labels)
    if unknown:
        return "outside_alphabet", describe(unknown)
    if first_seen:
        return "duplicate", "first in {}".format(first_seen)
    return audio_reason(row.transcript, samples, min_seconds, max_seconds, peak(row.wav) if deep and samples else None)


def audio_reason(transcript, samples, min_seconds, max_seconds, loudest=None):
    """(reason, detail) from the audio's length (16 kHz samples) and loudest sample; (None, "") if it is fine."""
    seconds = samples / float(SAMPLE_RATE)
    if samples == 0:
        return "empty_audio", ""
    needed, available = ctc_frames_needed(transcript), frames(samples)
    if needed > available:
        return "transcript_too_long", "{} characters need {} frames; {:.2f} s of audio gives {}".format(
            len(transcript), needed, seconds, available)
    if seconds < min_seconds:
        return "too_short", "{:.2f} s, the minimum is {} s".format(seconds, min_seconds)
    if seconds > max_seconds:
        return "too_long", "{:.2f} s, the maximum is {} s".format(seconds, max_seconds)
    if loudest is not None and loudest < SILENCE_PEAK:
        return "silent", "loudest sample {}".format(dbfs(loudest))
    return None, ""


def outside(transcript, labels):
    found = []
    for char in transcript:
        if char not in labels and char not in found:
            found.append(char)
    return found


def read_rows(csv_path):
    """The rows of a DeepSpeech CSV (wav_filename, wav_filesize, transcript); relative paths are the CSV folder's."""
    csv_path = Path(csv_path)
    try:
        with open(str(csv_path), newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            missing = [column for column in ("wav_filename", "transcript") if column not in (reader.fieldnames or [])]
            if missing:
                raise UserError("{} has no {} column; a dataset CSV has the columns wav_filename, wav_filesize, "
                                "transcript.".format(csv_path, " or ".join(missing)))
            rows = []
            for record in reader:
                wav = Path(record["wav_filename"] or "")
                rows.append(Row(csv_path, reader.line_num, wav if wav.is_absolute() else csv_path.parent / wav,
                                record["transcript"] or ""))
    except UnicodeDecodeError as error:
        raise UserError("{} is not UTF-8 text ({}); save it as UTF-8.".format(csv_path, error))
    except FileNotFoundError:
        raise UserError("{} does not exist.".format(csv_path))
    return rows


def check_csv(csv_path, labels, seen=None, deep=False, min_seconds=DEFAULT_MIN_SECONDS, max_seconds=DEFAULT_MAX_SECONDS):
    seen = {} if seen is None else seen
    labels = set(labels)
    return [check_row(row, labels, seen, min_seconds, max_seconds, deep) for row in read_rows(csv_path)]


def summary(rows):
    """Counts per reason and hours of the good rows."""
    counts = collections.Counter(row.reason for row in rows if row.reason)
    good = [row for row in rows if not row.reason]
    return {"rows": len(rows), "good": len(good), "rejected": len(rows) - len(good),
            "hours": round(sum(row.seconds or 0 for row in good) / 3600.0, 4),
            "reasons": collections.OrderedDict((reason, counts[reason]) for reason in REASONS if counts[reason])}


def require_trainable(csv_paths, labels):
    """Refuse, before TensorFlow starts, a dataset with rows the engine would stop on; name the first."""
    seen, labels = {}, set(labels)
    bad = [row for csv_path in csv_paths for row in read_rows(csv_path)
           if check_row(row, labels, seen, min_seconds=0.0, max_seconds=float("inf")).reason in ERRORS]
    if bad:
        row = bad[0]
        raise UserError("{}: {} ({}{}); {}.{} `playbook check-dataset {}` lists every row.".format(
            row.where(), REASONS[row.reason], row.wav, ": " + row.detail if row.detail else "", FIXES[row.reason],
            " {} rows in all are unusable.".format(len(bad)) if len(bad) > 1 else "", Path(row.csv).parent))


def check_dataset(folder, deep=False, min_seconds=DEFAULT_MIN_SECONDS, max_seconds=DEFAULT_MAX_SECONDS):
    """Every split of a dataset folder against its alphabet.txt; an audio file in two splits is a duplicate."""
    from stt_device.alphabet import labels as read_labels
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError("{} is not a folder; give a dataset folder holding train.csv, dev.csv, test.csv and alphabet.txt."
                        .format(folder))
    splits = [split for split in ("train", "dev", "test") if (folder / "{}.csv".format(split)).is_file()]
    if not splits:
        raise UserError("{} holds no train.csv, dev.csv or test.csv.".format(folder))
    labels, seen = read_labels(folder / "alphabet.txt"), {}
    return {split: check_csv(folder / "{}.csv".format(split), labels, seen, deep, min_seconds, max_seconds)
            for split in splits}


def check_and_report(folder, deep=False, min_seconds=DEFAULT_MIN_SECONDS, max_seconds=DEFAULT_MAX_SECONDS, show=20,
                     print_report=print):
    """`playbook check-dataset`: the first SHOW rejected rows, one line each, then the report; refuses (exit 2)
    where a row would stop training."""
    rows = check_dataset(folder, deep=deep, min_seconds=min_seconds, max_seconds=max_seconds)
    rejected = [row for split_rows in rows.values() for row in split_rows if row.reason]
    for row in rejected[:show]:
        print("{}: {}{} ({})".format(row.where(), row.reason, ": " + row.detail if row.detail else "", row.wav))
    if len(rejected) > show:
        print("... and {} more rows (--show N prints more)".format(len(rejected) - show))
    print_report({"dataset": str(folder), "deep": deep, "min_seconds": min_seconds, "max_seconds": max_seconds,
                  "splits": {split: summary(split_rows) for split, split_rows in rows.items()}})
    stopping = [row for row in rejected if row.reason in ERRORS]
    if stopping:
        raise UserError("{} rows would stop training (listed above); fix or remove them, or import the data again with "
                        "`playbook import`.".format(len(stopping)))
