"""`playbook import`: a source layout (sources.py) to a dataset folder the engine trains on.

DATASETS/<name>/
  train.csv, dev.csv, test.csv   the engine's format; wav_filename relative to the folder
  audio/                         16 kHz mono 16-bit WAV, converted by sox in worker processes
  alphabet.txt                   given (--alphabet) or built from the normalised transcripts
  rejected.csv                   every row left out, with one reason and what the source called it
  import.json, import.png        counts per reason, hours and utterances per split, options, timings;
                                 duration and characters-per-second histograms per split
The folder is built as <name>.partial and renamed when complete, so a killed import leaves no
dataset under the name; the same command again reuses the audio already converted (a file is
reused only when its source's size and time are unchanged). An existing name is refused.
Progress and notes go to stderr; the report (import.json's content) to stdout.
"""
import collections
import csv
import errno
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
import wave
from multiprocessing import Pool
from pathlib import Path

from stt_device import alphabet as alphabets
from .. import settings
from ..errors import UserError
from . import sources, validate
from .text import TextNormaliser, describe

# Lowercasing that depends on the language: Python's str.lower() knows none of it.
LOCALE_CASE = {"tr": {"I": "ı", "İ": "i"}, "az": {"I": "ı", "İ": "i"}}
DEFAULT_SPLIT = (0.8, 0.1, 0.1)
RARE_CHARACTER = 10  # an alphabet built from the transcripts reports characters seen fewer times than this
CONVERTED_LOG = "converted.jsonl"
DISK_FULL = "disk_full"


def dataset_dir(name):
    if not name or not all(c.isalnum() or c in "._-" for c in name) or name[0] in ".-":
        raise UserError("dataset name '{}' may hold only letters, digits, '.', '_' and '-'.".format(name))
    return settings.DATASETS / name


class Progress(object):
    """One line every few seconds on stderr, readable in a log (no carriage returns): done, rate, time left.
    (Hand-written: tqdm's single rewritten line turns into a wall of carriage returns in a log file.)"""

    def __init__(self, total, what, every=5.0):
        self.total, self.what, self.every = total, what, every
        self.started = self.last = time.time()
        self.done, self.audio = 0, 0.0

    def step(self, audio_seconds):
        self.done += 1
        self.audio += audio_seconds or 0.0
        now = time.time()
        if now - self.last >= self.every or self.done == self.total:
            self.last = now
            elapsed = max(now - self.started, 1e-6)
            left = (self.total - self.done) * elapsed / self.done
            print("{}: {} of {} ({:.0%}), {:.1f} s of audio per s, {} left".format(
                self.what, self.done, self.total, self.done / float(self.total), self.audio / elapsed,
                "{:.0f} s".format(left) if left < 120 else "{:.0f} min".format(left / 60)), file=sys.stderr, flush=True)


def convert(job):
    """Worker: (index, source, target, reuse) -> (index, samples, peak, reason, detail). The target is
    written under a temporary name and renamed, so a file under the target name is always complete."""
    index, source, target, reuse = job
    if not reuse:
        partial = target.with_name(target.name + ".part")
        result = subprocess.run(["sox", "-R", "-V1", str(source), "-r", str(validate.SAMPLE_RATE), "-c", "1", "-b", "16",
                                 "-e", "signed-integer", "-t", "wav", str(partial)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
        if result.returncode != 0:
            if partial.exists():
                partial.unlink()
            message = (result.stderr.strip().splitlines() or ["sox failed"])[-1]
            # A full disk is not the recording's fault: the import stops instead of rejecting every row after it.
            return index, 0, 0.0, DISK_FULL if "No space left" in result.stderr else "unreadable", message
        os.replace(str(partial), str(target))
    try:
        with wave.open(str(target), "rb") as audio:
            samples = audio.getnframes()
        return index, samples, validate.peak(target), None, ""
    except (wave.Error, EOFError) as error:
        return index, 0, 0.0, "unreadable", str(error)


def _already_right(path):
    header, _, _ = validate.audio_header(path)
    return header is not None and header[1:] == (validate.SAMPLE_RATE, 1, 2)


def _split(rows, fractions, seed):
    """Deterministic by SEED; speaker-disjoint when every row knows its speaker. FRACTIONS are shares
    (summing to 1) or counts of utterances."""
    rng = random.Random(seed)
    total = len(rows)
    if sum(fractions) > 1.0 + 1e-9:
        wanted = [int(f) for f in fractions]
    else:
        wanted = [int(round(f * total)) for f in fractions]
    speakers = all(row["speaker"] for row in rows)
    groups = collections.OrderedDict()
    for row in rows:
        groups.setdefault(row["speaker"] if speakers else id(row), []).append(row)
    keys = list(groups)
    rng.shuffle(keys)
    # Fill dev and test first (the small splits want whole speakers too), then train takes the rest.
    assigned = {split: [] for split in sources.SPLITS}
    order = [("dev", wanted[1]), ("test", wanted[2])]
    for key in keys:
        target = next((split for split, size in order if len(assigned[split]) < size), "train")
        assigned[target].extend(groups[key])
    for split, items in assigned.items():
        for row in items:
            row["split"] = split
    return speakers


def run_import(layout, source, name, alphabet=None, mapping=(), keep_case=False, locale=None, table=None,
               audio_column=None, text_column=None, speaker_column=None, cv_tsv=None, split=None, seed=1,
               min_seconds=validate.DEFAULT_MIN_SECONDS, max_seconds=validate.DEFAULT_MAX_SECONDS, workers=None):
    started = time.time()
    target = dataset_dir(name)
    if target.exists():
        raise UserError("{} already exists; choose another --name (datasets are never replaced).".format(target))
    if shutil.which("sox") is None:
        raise UserError("sox is not installed: run this inside the project's container, or apt-get install sox libsox-fmt-all.")
    source = Path(source)
    if not source.exists():
        raise UserError("{} does not exist; copy your data onto the data volume first (see docs/data.md).".format(source))
    if split is not None and (len(split) != 3 or any(f < 0 for f in split)):
        raise UserError("--split takes three numbers, train,dev,test: shares such as 0.8,0.1,0.1 or counts such as 900,50,50.")
    if layout == "folder":
        items = sources.folder_with_table(source, table, audio_column, text_column, speaker_column) if table \
            else sources.folder_with_texts(source)
    elif layout == "common-voice":
        items = sources.common_voice(source, cv_tsv)
    else:
        items = sources.LAYOUTS[layout](source)
    labels = alphabets.labels(alphabet) if alphabet else None
    if locale is None and layout == "common-voice" and re.match(r"^[a-z]{2,3}(-[A-Za-z]+)?$", source.resolve().name):
        locale = source.resolve().name  # a release keeps each language in a folder named by its locale
    case = dict(LOCALE_CASE.get((locale or "").split("-")[0].lower(), {}))
    normaliser = TextNormaliser(labels, dict(case, **dict(mapping)), keep_case)

    work = target.with_name(target.name + ".partial")
    (work / "audio").mkdir(parents=True, exist_ok=True)
    converted_before = _converted_log(work)
    rows, seen, names = [], {}, collections.Counter()
    for item in items:
        transcript, unknown = normaliser.transcript(item.transcript)
        row = {"source": str(item.audio), "origin": item.origin, "split": item.split, "speaker": item.speaker,
               "original": item.transcript, "transcript": transcript, "reason": None, "detail": ""}
        key = str(item.audio.resolve())
        if not item.audio.is_file():
            row["reason"] = "missing"
        elif not transcript:
            row["reason"] = "empty_transcript"
        elif unknown:
            row["reason"], row["detail"] = "outside_alphabet", describe(unknown)
        elif key in seen:
            row["reason"], row["detail"] = "duplicate", "first in {}".format(seen[key])
        seen.setdefault(key, item.origin)
        if row["reason"] is None:
            stem = sources.safe_name(str(Path(item.origin.split(" line ")[0]).with_suffix("")) + "-" + item.audio.stem
                                     if layout in ("common-voice", "manifest", "csv") else item.audio.stem)
            names[stem] += 1
            row["wav"] = "audio/{}{}.wav".format(stem, "" if names[stem] == 1 else "-{}".format(names[stem]))
        rows.append(row)
    if not rows:
        raise UserError("{} holds no rows to import.".format(source))

    # Audio: converted by sox in worker processes; audio already in the engine's format is used where it is.
    jobs = []
    for index, row in enumerate(rows):
        if row["reason"]:
            continue
        audio = Path(row["source"])
        if layout == "csv" and _already_right(audio):
            row["wav"] = str(audio.resolve())
            jobs.append((index, audio, audio, True))
            continue
        stat = audio.stat()
        stamp = [str(audio.resolve()), stat.st_size, stat.st_mtime_ns]
        reuse = converted_before.get(row["wav"]) == stamp and (work / row["wav"]).is_file()
        row["stamp"] = stamp
        jobs.append((index, audio, work / row["wav"], reuse))
    reused = sum(1 for _, source_audio, converted, reuse in jobs if reuse and source_audio != converted)
    in_place = sum(1 for _, source_audio, converted, _ in jobs if source_audio == converted)
    progress = Progress(len(jobs), "import " + name)
    with open(str(work / CONVERTED_LOG), "a") as log, Pool(workers or os.cpu_count() or 1) as pool:
        for index, samples, loudest, reason, detail in pool.imap_unordered(convert, jobs, chunksize=4):
            row = rows[index]
            if reason == DISK_FULL:
                raise _disk_full(work)
            row["seconds"] = samples / float(validate.SAMPLE_RATE)
            stamp = row.pop("stamp", None)
            if stamp and not reason:
                log.write(json.dumps({"wav": row["wav"], "source": stamp}) + "\n")
                log.flush()
            row["reason"], row["detail"] = (reason, detail) if reason else \
                validate.audio_reason(row["transcript"], samples, min_seconds, max_seconds, loudest)
            progress.step(row["seconds"])

    try:
        return _finish(work, target, layout, source, name, rows, labels, alphabet, mapping, keep_case, locale, split, seed,
                       min_seconds, max_seconds, workers, reused, in_place, started)
    except OSError as error:
        if error.errno == errno.ENOSPC:
            raise _disk_full(work)
        raise


def _disk_full(work):
    return UserError("the disk holding {} is full; free some space and run the same command again: the audio converted "
                     "so far is kept in {} and reused.".format(work.parent, work))


def _finish(work, target, layout, source, name, rows, labels, alphabet, mapping, keep_case, locale, split, seed,
            min_seconds, max_seconds, workers, reused, in_place, started):
    kept = [row for row in rows if not row["reason"]]
    if not kept:
        raise UserError("no row of {} could be imported ({}); {} lists why.".format(
            source, _counts_text(rows), _write_rejected(work, rows)))
    counts = collections.Counter(char for row in kept for char in row["transcript"])
    if labels is None:
        labels = sorted(counts, key=lambda c: (c != " ", c))
    own_splits = all(row["split"] in sources.SPLITS for row in kept) and split is None
    speaker_disjoint = None
    if not own_splits:
        speaker_disjoint = _split(kept, split or DEFAULT_SPLIT, seed)
    for split_name in sources.SPLITS:
        _write_csv(work / "{}.csv".format(split_name), [row for row in kept if row["split"] == split_name], work)
    (work / "alphabet.txt").write_text("".join(("\\#" if label == "#" else label) + "\n" for label in labels), encoding="utf-8")
    rejected_file = _write_rejected(work, rows)
    report = _report(layout, source, name, rows, kept, labels, counts, own_splits, speaker_disjoint, dict(
        alphabet=str(alphabet) if alphabet else None, mapping=dict(mapping), keep_case=keep_case, locale=locale,
        split=list(split or DEFAULT_SPLIT) if not own_splits else "the source's own", seed=seed,
        min_seconds=min_seconds, max_seconds=max_seconds, workers=workers or os.cpu_count()))
    report.update(reused_audio=reused, audio_used_in_place=in_place, seconds=round(time.time() - started, 1), rejected_file=str(target / rejected_file.name))
    (work / "import.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    try:
        _plot(work / "import.png", kept, name)
    except Exception as error:  # a missing picture must not lose a finished import
        print("note: no import.png ({})".format(error), file=sys.stderr, flush=True)
    (work / CONVERTED_LOG).unlink()
    os.rename(str(work), str(target))
    return report


def _converted_log(work):
    """wav -> [source path, size, mtime] of the files an interrupted import already converted."""
    path = work / CONVERTED_LOG
    found = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            try:
                entry = json.loads(line)
                found[entry["wav"]] = entry["source"]
            except (ValueError, KeyError):
                continue  # the last line of a killed import may be cut short
    return found


def _counts_text(rows):
    counts = collections.Counter(row["reason"] for row in rows if row["reason"])
    return ", ".join("{} {}".format(count, reason) for reason, count in counts.most_common())


def _write_rejected(work, rows):
    path = work / "rejected.csv"
    with open(str(path), "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["source", "origin", "reason", "detail", "transcript"])
        for row in rows:
            if row["reason"]:
                writer.writerow([row["source"], row["origin"], row["reason"], row["detail"], row["original"]])
    return path


def _write_csv(path, rows, work):
    with open(str(path), "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["wav_filename", "wav_filesize", "transcript"])
        for row in rows:
            wav = Path(row["wav"])
            writer.writerow([row["wav"], (wav if wav.is_absolute() else work / wav).stat().st_size, row["transcript"]])


def _report(layout, source, name, rows, kept, labels, counts, own_splits, speaker_disjoint, options):
    reasons = collections.Counter(row["reason"] for row in rows if row["reason"])
    rare = [char for char in labels if 0 < counts[char] < RARE_CHARACTER]
    if rare:
        print("note: {} characters of the alphabet occur fewer than {} times: {}{}; map strays with --map C=TEXT."
              .format(len(rare), RARE_CHARACTER, describe(rare[:8]), ", ..." if len(rare) > 8 else ""), file=sys.stderr, flush=True)
    for reason in validate.REASONS:
        if reasons[reason]:
            print("rejected {} rows: {}".format(reasons[reason], validate.REASONS[reason]), file=sys.stderr, flush=True)
    splits = {}
    for split in sources.SPLITS:
        chosen = [row for row in kept if row["split"] == split]
        seconds = sum(row["seconds"] for row in chosen)
        splits[split] = {"utterances": len(chosen), "hours": round(seconds / 3600.0, 4),
                         "speakers": len({row["speaker"] for row in chosen if row["speaker"]}) or None}
    seconds = sum(row["seconds"] for row in kept)
    print("imported {} of {} rows: train {train[utterances]}, dev {dev[utterances]}, test {test[utterances]} "
          "utterances; {}".format(len(kept), len(rows), "{:.1f} min".format(seconds / 60) if seconds < 3600 else
                                  "{:.2f} hours".format(seconds / 3600), **splits), file=sys.stderr, flush=True)
    return {"dataset": str(settings.DATASETS / name), "layout": layout, "source": str(source), "rows": len(rows),
            "imported": len(kept), "rejected": len(rows) - len(kept),
            "reasons": collections.OrderedDict((r, reasons[r]) for r in validate.REASONS if reasons[r]),
            "splits": splits, "splits_from": "source" if own_splits else
            ("seed, speaker-disjoint" if speaker_disjoint else "seed"),
            "alphabet": {"labels": len(labels), "counts": collections.OrderedDict((c, counts[c]) for c in labels),
                         "rare": rare}, "options": options}


def _plot(path, kept, name):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker
    import numpy as np
    figure, panels = plt.subplots(1, 2, figsize=(10, 4))
    measures = [("seconds", lambda row: row["seconds"]),
                ("characters per second", lambda row: len(row["transcript"]) / max(row["seconds"], 1e-3))]
    for axes, (label, measure) in zip(panels, measures):
        edges = np.histogram_bin_edges([measure(row) for row in kept], bins=30)  # the same bins for every split
        for split in sources.SPLITS:
            chosen = [measure(row) for row in kept if row["split"] == split]
            if chosen:
                axes.hist(chosen, bins=edges, alpha=0.6, label="{} ({})".format(split, len(chosen)))
        axes.set(xlabel=label, ylabel="utterances")
        axes.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        axes.legend()
    panels[0].set_title("{}: durations".format(name))
    panels[1].set_title("speaking rate (outliers: a wrong transcript?)")
    figure.tight_layout()
    figure.savefig(str(path), dpi=100)
    plt.close(figure)
