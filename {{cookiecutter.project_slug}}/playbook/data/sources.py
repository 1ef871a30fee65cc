"""The source layouts `playbook import` reads, each as a stream of Items.

common-voice  a Common Voice release folder: clips/*.mp3 and train.tsv, dev.tsv, test.tsv (the
              release's own splits), or --cv-tsv validated.tsv (every validated clip, split here)
librispeech   <subset>/<speaker>/<chapter>/*.flac with <speaker>-<chapter>.trans.txt; the subset's
              name gives the split (train-*, dev-*, test-*)
folder        recordings with one .txt transcript beside each, or one table for the whole folder
              (CSV or TSV with a header, or LJSpeech-style `id|text` lines)
manifest      NeMo-style JSON lines: {"audio_filepath", "text", "duration"}
csv           a DeepSpeech CSV set (train.csv, dev.csv, test.csv): checked, converted where needed
Standard library only.
"""
import csv
import json
import os
import re
from pathlib import Path

from ..errors import UserError

AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".ogg", ".opus", ".m4a", ".aiff", ".aif", ".au", ".wv")
SPLITS = ("train", "dev", "test")


class Item(object):
    """One recording and its transcript, as the source has them."""
    __slots__ = ("audio", "transcript", "split", "speaker", "origin")

    def __init__(self, audio, transcript, split=None, speaker=None, origin=""):
        self.audio, self.transcript, self.split, self.speaker, self.origin = Path(audio), transcript, split, speaker, origin


def _open_table(path):
    try:
        return open(str(path), newline="", encoding="utf-8-sig")
    except FileNotFoundError:
        raise UserError("{} does not exist.".format(path))


def _require_columns(path, found, needed, hint):
    missing = [column for column in needed if column not in (found or [])]
    if missing:
        raise UserError("{} has no column {}; its columns are {}. {}".format(
            path, " or ".join(repr(c) for c in missing), ", ".join(found or []) or "none", hint))


def common_voice(folder, tsv=None):
    """The release's train/dev/test.tsv (or one TSV, such as validated.tsv, with no split)."""
    folder = Path(folder)
    tables = [(folder / tsv, None)] if tsv else [(folder / "{}.tsv".format(split), split) for split in SPLITS]
    if not tsv and not all(path.is_file() for path, _ in tables):
        raise UserError("{} is not a Common Voice release folder: it needs train.tsv, dev.tsv and test.tsv beside clips/ "
                        "(or name one table with --cv-tsv, such as validated.tsv).".format(folder))
    csv.field_size_limit(1 << 24)
    for path, split in tables:
        with _open_table(path) as handle:
            reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
            _require_columns(path, reader.fieldnames, ("path", "sentence"), "Is this a Common Voice TSV?")
            for record in reader:
                # The release counts a clip as validated with two up votes and more up than down votes;
                # its train/dev/test are drawn from those. A table of all clips is held to the same rule.
                up, down = record.get("up_votes"), record.get("down_votes")
                if tsv and up not in (None, "") and down not in (None, ""):
                    if not (int(up) >= 2 and int(up) > int(down)):
                        continue
                yield Item(folder / "clips" / record["path"], record["sentence"] or "", split, record.get("client_id") or None,
                           "{} line {}".format(path.name, reader.line_num))


def librispeech(folder):
    folder = Path(folder)
    transcripts = sorted(folder.glob("**/*.trans.txt"))
    if not transcripts:
        raise UserError("{} holds no <speaker>-<chapter>.trans.txt files: it is not a LibriSpeech folder "
                        "(<subset>/<speaker>/<chapter>/*.flac).".format(folder))
    for table in transcripts:
        subset = table.parent.parent.parent.name
        split = next((s for s in SPLITS if subset.startswith(s)), None)
        speaker = table.parent.parent.name
        with open(str(table), encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                utterance, _, text = line.strip().partition(" ")
                if utterance:
                    yield Item(table.parent / (utterance + ".flac"), text, split, speaker,
                               "{} line {}".format(table.relative_to(folder), number))


def _audio_files(folder):
    """The audio files under FOLDER, a directory at a time in name order (a listing of the whole tree
    would be held in memory)."""
    for root, directories, files in os.walk(str(folder)):
        directories.sort()
        for name in sorted(files):
            path = Path(root) / name
            if path.suffix.lower() in AUDIO_SUFFIXES and path.is_file():
                yield path


def folder_with_texts(folder):
    """Each recording with the .txt of the same name beside it."""
    folder = Path(folder)
    found = False
    for path in _audio_files(folder):
        found = True
        text = path.with_suffix(".txt")
        transcript = text.read_text(encoding="utf-8").strip() if text.is_file() else ""
        yield Item(path, transcript, origin=str(path.relative_to(folder)))
    if not found:
        raise UserError("{} holds no audio files ({}).".format(folder, ", ".join(AUDIO_SUFFIXES)))


def folder_with_table(folder, table, audio_column=None, text_column=None, speaker_column=None, delimiter=None):
    """One table for the folder: CSV/TSV with a header (columns chosen by name), or `id|text` lines
    (LJSpeech's metadata.csv: the id names <folder>/wavs/<id>.wav or <folder>/<id>.<any audio suffix>)."""
    folder, table = Path(folder), Path(table)
    with _open_table(table) as handle:
        first = handle.readline()
        handle.seek(0)
        if delimiter is None:
            delimiter = "|" if "|" in first else ("\t" if "\t" in first else ",")
        if delimiter == "|" and audio_column is None:
            # LJSpeech: id|text[|normalised text], no header.
            for number, line in enumerate(handle, 1):
                fields = line.rstrip("\r\n").split("|")
                if len(fields) < 2:
                    raise UserError("{} line {}: expected id|text, got {!r}.".format(table, number, line.strip()))
                yield Item(_find_audio(folder, fields[0]), fields[-1] if len(fields) > 2 and fields[-1] else fields[1],
                           origin="{} line {}".format(table.name, number))
            return
        reader = csv.DictReader(handle, delimiter=delimiter)
        audio_column = audio_column or _guess(reader.fieldnames, ("wav_filename", "path", "file", "audio", "filename"))
        text_column = text_column or _guess(reader.fieldnames, ("transcript", "sentence", "text", "transcription"))
        _require_columns(table, reader.fieldnames, (audio_column, text_column),
                         "Name the columns with --audio-column and --text-column.")
        for record in reader:
            yield Item(_find_audio(folder, record[audio_column]), record[text_column] or "",
                       speaker=record.get(speaker_column) if speaker_column else None,
                       origin="{} line {}".format(table.name, reader.line_num))


def _guess(columns, names):
    return next((c for c in columns or [] if c.lower() in names), names[0])


def _find_audio(folder, name):
    path = Path(name)
    if path.is_absolute() or path.suffix.lower() in AUDIO_SUFFIXES:
        return path if path.is_absolute() else folder / path
    for candidate in [folder / "wavs" / (name + ".wav")] + [folder / (name + suffix) for suffix in AUDIO_SUFFIXES]:
        if candidate.is_file():
            return candidate
    return folder / (name + ".wav")


def manifest(path):
    """NeMo manifests: one JSON object per line; audio_filepath relative to the manifest's folder."""
    path = Path(path)
    with _open_table(path) as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                audio = Path(record["audio_filepath"])
                text = record.get("text", "")
            except (ValueError, KeyError, TypeError) as error:
                raise UserError("{} line {} is not a manifest entry with audio_filepath and text ({}).".format(path, number, error))
            yield Item(audio if audio.is_absolute() else path.parent / audio, text or "", record.get("split"),
                       record.get("speaker"), "{} line {}".format(path.name, number))


def deepspeech_csv(folder):
    folder = Path(folder)
    tables = [(folder / "{}.csv".format(split), split) for split in SPLITS if (folder / "{}.csv".format(split)).is_file()]
    if not tables:
        raise UserError("{} holds no train.csv, dev.csv or test.csv.".format(folder))
    for path, split in tables:
        with _open_table(path) as handle:
            reader = csv.DictReader(handle)
            _require_columns(path, reader.fieldnames, ("wav_filename", "transcript"),
                             "A DeepSpeech CSV has the columns wav_filename, wav_filesize, transcript.")
            for record in reader:
                audio = Path(record["wav_filename"] or "")
                yield Item(audio if audio.is_absolute() else folder / audio, record["transcript"] or "", split,
                           origin="{} line {}".format(path.name, reader.line_num))


LAYOUTS = {"common-voice": common_voice, "librispeech": librispeech, "folder": None, "manifest": manifest,
           "csv": deepspeech_csv}


def safe_name(text):
    """A file name from a source path: letters, digits, '.', '_' and '-'."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "audio"
