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

Memory stays the same for ten rows or two million: the sources are read as streams, and the rows
live in a scratch SQLite database in the .partial folder (rows.sqlite, removed at the end) between
the passes (scan, convert in batches, split, write); the splits, CSVs, report and histograms are
queries over it.
"""
import collections
import csv
import errno
import json
import os
import hashlib
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import wave
from multiprocessing import Pool
from pathlib import Path

from stt_device import alphabet as alphabets
from .. import settings, storage
from ..errors import UserError
from ..storage import NO_SPACE
from . import sources, validate
from .rows import RowStore
from .text import TextNormaliser, describe

# Lowercasing that depends on the language: Python's str.lower() knows none of it.
LOCALE_CASE = {"tr": {"I": "ı", "İ": "i"}, "az": {"I": "ı", "İ": "i"}}
DEFAULT_SPLIT = (0.8, 0.1, 0.1)
RARE_CHARACTER = 10  # an alphabet built from the transcripts reports characters seen fewer times than this
CONVERTED_LOG = "converted.jsonl"
ROW_STORE = "rows.sqlite"
BATCH = 2048  # rows converted between two commits of the row store; the workers' queue holds no more
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
            return index, 0, 0.0, DISK_FULL if NO_SPACE in result.stderr else "unreadable", message
        os.replace(str(partial), str(target))
    try:
        with wave.open(str(target), "rb") as audio:
            samples = audio.getnframes()
        return index, samples, validate.peak(target), None, ""
    except (wave.Error, EOFError) as error:
        return index, 0, 0.0, "unreadable", str(error)


def _already_right(path):
    header, _, _ = validate.audio_header(path)
    return header is not None and header[1:] == validate.ENGINE_FORMAT


def _converting(store, work, layout, min_seconds, max_seconds, workers, name, copy_audio=False):
    """Convert the rows still kept, BATCH at a time; returns (reused, in_place). A csv layout's audio already in the
    engine's format is used where it is, unless COPY_AUDIO."""
    reused = in_place = 0
    progress = Progress(store.value("SELECT COUNT(*) FROM rows WHERE reason IS NULL"), "import " + name)
    last = 0
    with open(str(work / CONVERTED_LOG), "a") as log, Pool(workers or os.cpu_count() or 1) as pool:
        while True:
            batch = store.db.execute("SELECT id, source, wav, transcript FROM rows WHERE reason IS NULL AND id > ? "
                                     "ORDER BY id LIMIT ?", (last, BATCH)).fetchall()
            if not batch:
                return reused, in_place
            last = batch[-1][0]
            jobs, stamps, transcripts = [], {}, {}
            for index, source, wav, transcript in batch:
                audio = Path(source)
                transcripts[index] = transcript
                if layout == "csv" and not copy_audio and _already_right(audio):
                    store.db.execute("UPDATE rows SET wav = ? WHERE id = ?", (str(audio.resolve()), index))
                    jobs.append((index, audio, audio, True))
                    in_place += 1
                    continue
                stat = audio.stat()
                stamps[index] = (wav, [str(audio.resolve()), stat.st_size, stat.st_mtime_ns])
                reuse = store.converted_from(wav, stamps[index][1]) and (work / wav).is_file()
                reused += reuse
                jobs.append((index, audio, work / wav, reuse))
            for index, samples, loudest, reason, detail in pool.imap_unordered(convert, jobs, chunksize=4):
                if reason == DISK_FULL:
                    raise _disk_full(work)
                seconds = samples / float(validate.SAMPLE_RATE)
                if index in stamps and not reason:
                    wav, stamp = stamps[index]
                    log.write(json.dumps({"wav": wav, "source": stamp}) + "\n")
                    log.flush()
                reason, detail = (reason, detail) if reason else \
                    validate.audio_reason(transcripts[index], samples, min_seconds, max_seconds, loudest)
                store.db.execute("UPDATE rows SET seconds = ?, reason = ?, detail = ? WHERE id = ?", (seconds, reason, detail, index))
                progress.step(seconds)
            store.db.commit()


def _split(store, fractions, seed):
    """Deterministic by SEED (rows or speakers ordered by a hash of the seed and their key);
    speaker-disjoint when every row knows its speaker. FRACTIONS are shares (summing to 1) or counts
    of utterances. Returns whether the splits are speaker-disjoint."""
    total = store.value("SELECT COUNT(*) FROM rows WHERE reason IS NULL")
    if sum(fractions) > 1.0 + 1e-9:
        wanted = [int(f) for f in fractions]
    else:
        wanted = [int(round(f * total)) for f in fractions]
    speakers = not store.value("SELECT COUNT(*) FROM rows WHERE reason IS NULL AND (speaker IS NULL OR speaker = '')")
    key = "speaker" if speakers else "id"
    store.db.create_function("seeded", 1, lambda value: hashlib.sha1("{} {}".format(seed, value).encode("utf-8")).hexdigest())
    store.db.execute("CREATE TEMP TABLE held_out (key PRIMARY KEY, split TEXT)")
    # Fill dev and test first (the small splits want whole speakers too), then train takes the rest.
    filled = collections.OrderedDict([("dev", 0), ("test", 0)])
    groups = store.db.execute("SELECT {0}, COUNT(*) FROM rows WHERE reason IS NULL GROUP BY {0} ORDER BY seeded({0})".format(key))
    for group, size in groups:
        target = next((split for split, want in zip(filled, wanted[1:]) if filled[split] < want), None)
        if target is None:
            break
        store.db.execute("INSERT INTO held_out VALUES (?, ?)", (group, target))
        filled[target] += size
    groups.close()
    store.db.execute("UPDATE rows SET split = COALESCE((SELECT split FROM held_out WHERE key = rows.{}), 'train') "
                     "WHERE reason IS NULL".format(key))
    store.db.commit()
    return speakers


def parse_split(text):
    """--split 'train,dev,test' (shares or counts) as three numbers; None where it is not given."""
    if not text:
        return None
    try:
        return [float(value) for value in text.split(",")]
    except ValueError:
        raise UserError("--split {!r}: write three numbers, train,dev,test, such as 0.8,0.1,0.1.".format(text))


def run_import(layout, source, name, alphabet=None, mapping=(), keep_case=False, locale=None, table=None,
               audio_column=None, text_column=None, speaker_column=None, cv_tsv=None, split=None, seed=1,
               min_seconds=validate.DEFAULT_MIN_SECONDS, max_seconds=validate.DEFAULT_MAX_SECONDS, workers=None,
               copy_audio=False):
    started = time.time()
    target = dataset_dir(name)
    if target.exists():
        raise UserError("{} already exists; choose another --name (datasets are never replaced).".format(target))
    if shutil.which("sox") is None:
        raise UserError("sox is not installed: run this inside the project's container, or apt-get install sox libsox-fmt-base libsox-fmt-mp3.")
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

    # What a killed or failed import converted stays in <name>.partial, for the same command to reuse.
    work = storage.partial_of(target)
    fresh = not work.exists()
    store = None
    try:
        with storage.building(target, reuse=True) as work:
            (work / "audio").mkdir(exist_ok=True)
            store = RowStore(work / ROW_STORE)
            store.load_converted(work / CONVERTED_LOG)
            try:
                _scan(store, items, normaliser, layout)
                if not store.value("SELECT COUNT(*) FROM rows"):
                    raise UserError("{} holds no rows to import.".format(source))
            except UserError:
                if fresh:  # the source is not what the layout says: nothing was converted, nothing to keep
                    store.db.close()
                    shutil.rmtree(str(work))
                raise
            # Audio: converted by sox in worker processes; audio already in the engine's format is used where it is.
            reused, in_place = _converting(store, work, layout, min_seconds, max_seconds, workers, name, copy_audio)
            report = _finish(store, work, target, layout, source, name, labels, alphabet, mapping, keep_case, locale, split,
                             seed, min_seconds, max_seconds, workers, reused, in_place, started)
    except sqlite3.OperationalError as error:
        if "full" in str(error):
            raise _disk_full(work)
        raise
    except OSError as error:
        if error.errno == errno.ENOSPC:
            raise _disk_full(work)
        raise
    finally:
        if store is not None:  # a failed import's connection too: nothing of the data folder stays open
            store.db.close()
    return report


def _scan(store, items, normaliser, layout):
    """Every item of the source becomes a row: checked for what can be known before its audio is read."""
    for item in items:
        transcript, unknown = normaliser.transcript(item.transcript)
        row = {"source": str(item.audio), "origin": item.origin, "split": item.split, "speaker": item.speaker,
               "original": item.transcript, "transcript": transcript, "reason": None, "detail": ""}
        first = store.first_origin(str(item.audio.resolve()), item.origin)
        if not item.audio.is_file():
            row["reason"] = "missing"
        elif not transcript:
            row["reason"] = "empty_transcript"
        elif unknown:
            row["reason"], row["detail"] = "outside_alphabet", describe(unknown)
        elif first is not None:
            row["reason"], row["detail"] = "duplicate", "first in {}".format(first)
        if row["reason"] is None:
            stem = sources.safe_name(str(Path(item.origin.split(" line ")[0]).with_suffix("")) + "-" + item.audio.stem
                                     if layout in ("common-voice", "manifest", "csv") else item.audio.stem)
            uses = store.uses(stem)
            row["wav"] = "audio/{}{}.wav".format(stem, "" if uses == 1 else "-{}".format(uses))
        store.add(row)
    store.db.commit()


def _disk_full(work):
    return UserError("the disk holding {} is full; free some space and run the same command again: the audio converted "
                     "so far is kept in {} and reused.".format(work.parent, work))


def _finish(store, work, target, layout, source, name, labels, alphabet, mapping, keep_case, locale, split, seed,
            min_seconds, max_seconds, workers, reused, in_place, started):
    if not store.value("SELECT COUNT(*) FROM rows WHERE reason IS NULL"):
        raise UserError("no row of {} could be imported ({}); {} lists why.".format(
            source, _counts_text(store), _write_rejected(work, store)))
    counts = collections.Counter()
    for transcript, in store.kept("transcript"):
        counts.update(transcript)
    if labels is None:
        labels = sorted(counts, key=lambda c: (c != " ", c))
    own_splits = split is None and not store.value(
        "SELECT COUNT(*) FROM rows WHERE reason IS NULL AND (split IS NULL OR split NOT IN ({}))".format(
            ", ".join("'{}'".format(s) for s in sources.SPLITS)))
    speaker_disjoint = None
    if not own_splits:
        speaker_disjoint = _split(store, split or DEFAULT_SPLIT, seed)
    for split_name in sources.SPLITS:
        _write_csv(work / "{}.csv".format(split_name), store.kept("wav, transcript", split_name), work)
    (work / "alphabet.txt").write_text("".join(("\\#" if label == "#" else label) + "\n" for label in labels), encoding="utf-8")
    rejected_file = _write_rejected(work, store)
    report = _report(store, layout, source, name, labels, counts, own_splits, speaker_disjoint, dict(
        alphabet=str(alphabet) if alphabet else None, mapping=dict(mapping), keep_case=keep_case, locale=locale,
        split=list(split or DEFAULT_SPLIT) if not own_splits else "the source's own", seed=seed,
        min_seconds=min_seconds, max_seconds=max_seconds, workers=workers or os.cpu_count()))
    report.update(reused_audio=reused, audio_used_in_place=in_place, seconds=round(time.time() - started, 1), rejected_file=str(target / rejected_file.name))
    (work / "import.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    try:
        _plot(work / "import.png", store, name)
    except Exception as error:  # a missing picture must not lose a finished import
        print("note: no import.png ({})".format(error), file=sys.stderr, flush=True)
    store.close()
    (work / CONVERTED_LOG).unlink()
    return report


def _reasons(store):
    return collections.Counter(dict(store.db.execute("SELECT reason, COUNT(*) FROM rows WHERE reason IS NOT NULL GROUP BY reason")))


def _counts_text(store):
    return ", ".join("{} {}".format(count, reason) for reason, count in _reasons(store).most_common())


def _write_rejected(work, store):
    path = work / "rejected.csv"
    with open(str(path), "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["source", "origin", "reason", "detail", "transcript"])
        writer.writerows(store.db.execute("SELECT source, origin, reason, detail, original FROM rows "
                                          "WHERE reason IS NOT NULL ORDER BY id"))
    return path


def _write_csv(path, rows, work):
    with open(str(path), "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["wav_filename", "wav_filesize", "transcript"])
        for wav, transcript in rows:
            audio = Path(wav)
            writer.writerow([wav, (audio if audio.is_absolute() else work / audio).stat().st_size, transcript])


def _report(store, layout, source, name, labels, counts, own_splits, speaker_disjoint, options):
    reasons = _reasons(store)
    rare = [char for char in labels if 0 < counts[char] < RARE_CHARACTER]
    if rare:
        print("note: {} characters of the alphabet occur fewer than {} times: {}{}; map strays with --map C=TEXT."
              .format(len(rare), RARE_CHARACTER, describe(rare[:8]), ", ..." if len(rare) > 8 else ""), file=sys.stderr, flush=True)
    for reason in validate.REASONS:
        if reasons[reason]:
            print("rejected {} rows: {}".format(reasons[reason], validate.REASONS[reason]), file=sys.stderr, flush=True)
    splits = {}
    for split in sources.SPLITS:
        utterances, seconds, speakers = store.db.execute(
            "SELECT COUNT(*), TOTAL(seconds), COUNT(DISTINCT NULLIF(speaker, '')) FROM rows "
            "WHERE reason IS NULL AND split = ?", (split,)).fetchone()
        splits[split] = {"utterances": utterances, "hours": round(seconds / 3600.0, 4), "speakers": speakers or None}
    rows, kept, seconds = store.db.execute("SELECT COUNT(*), COUNT(*) - COUNT(reason), "
                                           "TOTAL(CASE WHEN reason IS NULL THEN seconds END) FROM rows").fetchone()
    print("imported {} of {} rows: train {train[utterances]}, dev {dev[utterances]}, test {test[utterances]} "
          "utterances; {}".format(kept, rows, "{:.1f} min".format(seconds / 60) if seconds < 3600 else
                                  "{:.2f} hours".format(seconds / 3600), **splits), file=sys.stderr, flush=True)
    empty = [split for split in sources.SPLITS if not splits[split]["utterances"]]
    if empty:
        # Too few rows to split (a first recording or two): say what each empty split means before training finds out.
        print("note: {} {} empty: {}. Import more recordings, or give --split counts such as 8,1,1.".format(
            " and ".join(e + ".csv" for e in empty), "is" if len(empty) == 1 else "are", "; ".join(
                {"train": "there is nothing to train on",
                 "dev": "training refuses a dataset without a dev set, which picks the best checkpoint",
                 "test": "`playbook evaluate` has nothing to measure (it can measure another dataset's test set)"}[e]
                for e in empty)), file=sys.stderr, flush=True)
    return {"dataset": str(settings.DATASETS / name), "layout": layout, "source": str(source), "rows": rows,
            "imported": kept, "rejected": rows - kept,
            "reasons": collections.OrderedDict((r, reasons[r]) for r in validate.REASONS if reasons[r]),
            "splits": splits, "splits_from": "source" if own_splits else
            ("seed, speaker-disjoint" if speaker_disjoint else "seed"),
            "alphabet": {"labels": len(labels), "counts": collections.OrderedDict((c, counts[c]) for c in labels),
                         "rare": rare}, "options": options}


def _plot(path, store, name):
    """Histograms counted batch by batch over the row store, with the same bins for every split."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker
    import numpy as np
    figure, panels = plt.subplots(1, 2, figsize=(10, 4))
    measures = [("seconds", "seconds"), ("characters per second", "LENGTH(transcript) / MAX(seconds, 1e-3)")]
    for axes, (label, measure) in zip(panels, measures):
        low, high = store.db.execute("SELECT MIN({0}), MAX({0}) FROM rows WHERE reason IS NULL".format(measure)).fetchone()
        edges = np.histogram_bin_edges([low, high], bins=30)  # what numpy picks for all the values: 30 bins from min to max
        for split in sources.SPLITS:
            counts, rows = np.zeros(len(edges) - 1), store.kept(measure, split)
            while True:
                chunk = rows.fetchmany(BATCH)
                if not chunk:
                    break
                counts += np.histogram([value for value, in chunk], bins=edges)[0]
            if counts.sum():
                axes.hist(edges[:-1], bins=edges, weights=counts, alpha=0.6, label="{} ({})".format(split, int(counts.sum())))
        axes.set(xlabel=label, ylabel="utterances")
        axes.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        axes.legend()
    panels[0].set_title("{}: durations".format(name))
    panels[1].set_title("speaking rate (outliers: a wrong transcript?)")
    figure.tight_layout()
    figure.savefig(str(path), dpi=100)
    plt.close(figure)
