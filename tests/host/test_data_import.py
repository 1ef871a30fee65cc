"""`playbook import` on the host (the real sox converts; corpora are tones with transcripts): each
layout, every rejection reason with the good rows still imported, splits, the alphabet, manifests,
and an import killed half way that leaves no dataset and is finished by the same command."""
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import wave
from pathlib import Path

import pytest

from harness.bake import TEMPLATE
from audio_files import ALPHABET, write_wav

PROJECT = TEMPLATE / "{{cookiecutter.project_slug}}"


@pytest.fixture()
def data_root(data_root, unavailable):
    """The shared empty data folder, where sox can convert (and write the mp3s the Common Voice layout has)."""
    for tool, package in (("sox", "sox"),):
        if shutil.which(tool) is None:
            unavailable(f"{tool} is not installed (apt-get install {package} libsox-fmt-mp3)")
    if "mp3" not in subprocess.run(["sox", "-h"], capture_output=True, text=True).stdout.split():
        unavailable("sox cannot write mp3 here (apt-get install libsox-fmt-mp3)")
    return data_root


@pytest.fixture()
def importer(template_playbook, data_root):
    return template_playbook("playbook.data.importer")


def encode(wav, target, *effects):
    target.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["sox", "-R", str(wav), str(target), *effects], check=True, capture_output=True)
    return target


def tone(folder, name, seconds=1.0, **kwargs):
    folder.mkdir(parents=True, exist_ok=True)
    return write_wav(folder / name, seconds=seconds, **kwargs)


def rows(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def audio_format(path):
    with wave.open(str(path), "rb") as audio:
        return audio.getframerate(), audio.getnchannels(), audio.getsampwidth()


def common_voice(root):
    """A Common Voice release folder: mp3 clips at 48 kHz, the release's TSVs, and broken rows."""
    folder = root / "cv" / "en"
    clips = folder / "clips"
    clips.mkdir(parents=True)
    raw = root / "raw"
    header = ["client_id", "path", "sentence", "up_votes", "down_votes", "age", "gender", "accent", "locale", "segment"]
    tables = {"train": [], "dev": [], "test": []}
    for split, count in (("train", 6), ("dev", 2), ("test", 2)):
        for number in range(count):
            name = f"common_voice_en_{split}{number}.mp3"
            encode(tone(raw, f"{split}{number}.wav", seconds=1.2, rate=48000), clips / name)
            tables[split].append([f"speaker{number % 3}", name, f"Sentence number {number}, in {split}!", 2, 0, "", "", "", "en", ""])
    (clips / "broken.mp3").write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x00not an mp3 stream at all")
    for name in ("untranscribed", "long_text"):
        encode(tone(raw, f"{name}.wav", seconds=1.2, rate=48000), clips / f"{name}.mp3")
    tables["train"] += [["x", "not_there.mp3", "a missing clip", 2, 0, "", "", "", "en", ""],
                        ["x", "broken.mp3", "a corrupt clip", 2, 0, "", "", "", "en", ""],
                        ["x", "untranscribed.mp3", "", 2, 0, "", "", "", "en", ""],
                        ["x", "long_text.mp3", "far too many words " * 4, 2, 0, "", "", "", "en", ""],
                        ["x", "common_voice_en_train1.mp3", "the same clip again", 2, 0, "", "", "", "en", ""]]
    for split, table in tables.items():
        with open(folder / f"{split}.tsv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, delimiter="\t")
            writer.writerow(header)
            writer.writerows(table)
    return folder


def test_common_voice_keeps_the_release_splits_and_names_every_bad_row(importer, data_root):
    source = common_voice(data_root.parent)
    report = importer.run_import("common-voice", source, "cv")
    dataset = data_root / "datasets" / "cv"
    assert {split: report["splits"][split]["utterances"] for split in ("train", "dev", "test")} == \
        {"train": 6, "dev": 2, "test": 2}
    assert report["splits_from"] == "source"
    assert report["reasons"] == {"missing": 1, "unreadable": 1, "empty_transcript": 1, "transcript_too_long": 1,
                                 "duplicate": 1}
    rejected = {row["reason"]: row for row in rows(dataset / "rejected.csv")}
    assert rejected["missing"]["origin"] == "train.tsv line 8"
    assert rejected["transcript_too_long"]["detail"].startswith("75 characters need 79 frames")
    assert rejected["duplicate"]["detail"] == "first in train.tsv line 3"
    train = rows(dataset / "train.csv")
    assert train[0]["transcript"] == "sentence number 0 in train"
    assert all(audio_format(dataset / row["wav_filename"]) == (16000, 1, 2) for row in train)
    assert (dataset / "alphabet.txt").read_text().splitlines()[0] == " "
    assert report["options"]["locale"] == "en"
    assert not (data_root / "datasets" / "cv.partial").exists()


def test_librispeech_takes_the_split_from_the_subset_and_keeps_flac_speakers(importer, data_root):
    root = data_root.parent / "LibriSpeech"
    for subset, speaker in (("train-clean-100", "19"), ("train-clean-100", "26"), ("dev-clean", "84"), ("test-clean", "61")):
        chapter = root / subset / speaker / "198"
        lines = []
        for number in range(2):
            utterance = f"{speaker}-198-{number:04d}"
            encode(tone(data_root.parent / "raw", f"{utterance}.wav"), chapter / f"{utterance}.flac")
            lines.append(f"{utterance} WORDS OF SPEAKER {speaker} NUMBER {number}")
        (chapter / f"{speaker}-198.trans.txt").write_text("\n".join(lines) + "\n")
    report = importer.run_import("librispeech", root, "libri")
    assert {split: (s["utterances"], s["speakers"]) for split, s in report["splits"].items()} == \
        {"train": (4, 2), "dev": (2, 1), "test": (2, 1)}
    assert rows(data_root / "datasets" / "libri" / "test.csv")[1]["transcript"] == "words of speaker 61 number 1"


def test_a_folder_of_mixed_recordings_is_converted_and_split_by_seed(importer, data_root):
    folder = data_root.parent / "mine"
    variants = {"cd-stereo": dict(rate=44100, channels=2), "phone": dict(rate=8000), "studio": dict(rate=48000, width=3),
                "plain": {}}
    for number in range(20):
        kind = list(variants)[number % 4]
        tone(folder, f"take{number:02d}.wav", **variants[kind])
        (folder / f"take{number:02d}.txt").write_text(f"Take {number}: the {kind} one.\n")
    tone(folder, "no-transcript.wav")
    first = importer.run_import("folder", folder, "mine-a", split=[0.5, 0.25, 0.25], seed=3)
    second = importer.run_import("folder", folder, "mine-b", split=[0.5, 0.25, 0.25], seed=3)
    assert first["reasons"] == {"empty_transcript": 1}
    assert [s["utterances"] for s in first["splits"].values()] == [10, 5, 5]
    assert first["splits_from"] == "seed"
    for split in ("train", "dev", "test"):
        assert [r["transcript"] for r in rows(data_root / "datasets" / "mine-a" / f"{split}.csv")] == \
            [r["transcript"] for r in rows(data_root / "datasets" / "mine-b" / f"{split}.csv")]
    converted = rows(data_root / "datasets" / "mine-a" / "train.csv")
    assert all(audio_format(data_root / "datasets" / "mine-a" / r["wav_filename"]) == (16000, 1, 2) for r in converted)
    # The phone recording keeps its 8 kHz band: imported, and the seconds are right.
    phone = next(r for r in converted + rows(data_root / "datasets" / "mine-a" / "dev.csv")
                 + rows(data_root / "datasets" / "mine-a" / "test.csv") if "phone" in r["transcript"])
    with wave.open(str(data_root / "datasets" / "mine-a" / phone["wav_filename"]), "rb") as audio:
        assert abs(audio.getnframes() / 16000 - 1.0) < 0.01


def test_a_table_with_speakers_gives_speaker_disjoint_splits(importer, data_root):
    folder = data_root.parent / "speakers"
    with open(tone(folder, "x.wav").parent / "list.tsv", "w", encoding="utf-8") as handle:
        handle.write("file\ttext\twho\n")
        for number in range(30):
            tone(folder, f"u{number}.wav")
            handle.write(f"u{number}.wav\tutterance {number}\tspeaker{number % 6}\n")
    report = importer.run_import("folder", folder, "spk", table=folder / "list.tsv", speaker_column="who")
    assert report["splits_from"] == "seed, speaker-disjoint"
    speakers = {split: {r["transcript"].split()[1] for r in rows(data_root / "datasets" / "spk" / f"{split}.csv")}
                for split in ("train", "dev", "test")}
    by_speaker = {split: {int(n) % 6 for n in numbers} for split, numbers in speakers.items()}
    assert not (by_speaker["train"] & by_speaker["dev"]) and not (by_speaker["train"] & by_speaker["test"])
    assert not (by_speaker["dev"] & by_speaker["test"])


def test_ljspeech_table_and_an_alphabet_to_keep(importer, data_root):
    folder = data_root.parent / "LJ"
    (folder / "wavs").mkdir(parents=True)
    lines = []
    for number, text in enumerate(["Printing, in the only sense", "Café au lait", "the only sense"] * 4):
        tone(folder / "wavs", f"LJ001-{number:04d}.wav", rate=22050)
        lines.append(f"LJ001-{number:04d}|{text}|{text}")
    (folder / "metadata.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    alphabet = data_root.parent / "alphabet.txt"
    alphabet.write_text("".join(label + "\n" for label in ALPHABET))
    report = importer.run_import("folder", folder, "lj", table=folder / "metadata.csv", alphabet=alphabet)
    assert report["reasons"] == {"outside_alphabet": 4}
    assert rows(data_root / "datasets" / "lj" / "rejected.csv")[0]["detail"] == "'é' (U+00E9)"
    assert (data_root / "datasets" / "lj" / "alphabet.txt").read_text() == alphabet.read_text()
    mapped = importer.run_import("folder", folder, "lj-mapped", table=folder / "metadata.csv", alphabet=alphabet,
                                 mapping={"é": "e"})
    assert mapped["imported"] == 12


def test_manifests_go_out_and_come_back(importer, template_playbook, data_root):
    folder = data_root.parent / "m"
    for number in range(10):
        tone(folder, f"a{number}.wav")
        (folder / f"a{number}.txt").write_text(f"manifest line {number}")
    importer.run_import("folder", folder, "m")
    manifest = template_playbook("playbook.data.manifest")
    out = manifest.write_manifests(data_root / "datasets" / "m", data_root.parent / "nemo")
    lines = [json.loads(line) for line in open(out["manifests"]["train"], encoding="utf-8")]
    assert set(lines[0]) == {"audio_filepath", "text", "duration", "split"} and lines[0]["duration"] == 1.0
    report = importer.run_import("manifest", out["manifests"]["train"], "m-back")
    assert report["imported"] == len(lines)
    from playbook.errors import UserError
    with pytest.raises(UserError, match="already exists; it is kept as it is"):
        manifest.write_manifests(data_root / "datasets" / "m", data_root.parent / "nemo")


def test_a_csv_set_in_the_engines_format_is_used_in_place(importer, data_root):
    folder = data_root.parent / "ds"
    tone(folder / "wav", "right.wav")
    tone(folder / "wav", "stereo.wav", channels=2)
    with open(folder / "train.csv", "w", newline="") as handle:
        csv.writer(handle).writerows([["wav_filename", "wav_filesize", "transcript"], ["wav/right.wav", 0, "right"],
                                      ["wav/stereo.wav", 0, "stereo"]])
    report = importer.run_import("csv", folder, "ds", split=[1, 1, 0])
    assert report["audio_used_in_place"] == 1 and report["imported"] == 2
    written = rows(data_root / "datasets" / "ds" / "train.csv") + rows(data_root / "datasets" / "ds" / "dev.csv")
    paths = {r["transcript"]: r["wav_filename"] for r in written}
    assert paths["right"] == str((folder / "wav" / "right.wav").resolve())
    assert paths["stereo"].startswith("audio/")
    # Copied in: a dataset whose audio is inside it, so that it can go to a bucket or another machine.
    copied = importer.run_import("csv", folder, "ds-copied", split=[1, 1, 0], copy_audio=True)
    assert copied["audio_used_in_place"] == 0
    assert all(r["wav_filename"].startswith("audio/") for r in rows(data_root / "datasets" / "ds-copied" / "train.csv"))
    # playbook sync refuses to push the first (before rclone runs), not the second.
    from playbook.cloud import sync
    from playbook.errors import UserError as SyncError
    with pytest.raises(SyncError, match=r"sync push datasets: datasets/ds/(dev|train)\.csv line 2 names audio outside the "
                                        r"dataset \(.*/ds/wav/right\.wav\), which the bucket would not get; .*--copy-audio"):
        sync.push("nowhere:bucket", ["datasets"])
    assert sync._audio_outside(data_root / "datasets" / "ds-copied") is None


def test_one_recording_imports_with_a_note_on_its_empty_splits(importer, data_root, capsys):
    """A first recording: imported to train, and the empty dev and test splits say what they mean for training."""
    folder = data_root.parent / "first"
    tone(folder, "hello.wav")
    (folder / "hello.txt").write_text("hello\n")
    report = importer.run_import("folder", folder, "first")
    assert [s["utterances"] for s in report["splits"].values()] == [1, 0, 0]
    note = capsys.readouterr().err
    assert "note: dev.csv and test.csv are empty: training refuses a dataset without a dev set, which picks the best " \
           "checkpoint; `playbook evaluate` has nothing to measure" in note and "--split counts such as 8,1,1" in note, note


def test_an_existing_dataset_is_never_replaced(importer, data_root):
    (data_root / "datasets" / "taken").mkdir(parents=True)
    from playbook.errors import UserError
    with pytest.raises(UserError, match="already exists; choose another --name"):
        importer.run_import("folder", data_root, "taken")


def test_a_killed_import_leaves_no_dataset_and_the_same_command_finishes_it(data_root):
    folder = data_root.parent / "many"
    recording = tone(data_root.parent / "raw", "stereo.wav", seconds=2.0, rate=44100, channels=2)
    folder.mkdir()
    for number in range(120):
        shutil.copy(recording, folder / f"u{number:03d}.wav")
        (folder / f"u{number:03d}.txt").write_text(f"utterance {number}")
    command = [sys.executable, "-m", "playbook", "import", "folder", str(folder), "--name", "many", "--workers", "1"]
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    process = subprocess.Popen(command, cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True)
    audio = data_root / "datasets" / "many.partial" / "audio"
    deadline = time.monotonic() + 60
    while len(list(audio.glob("*.wav"))) < 20:
        assert time.monotonic() < deadline and process.poll() is None, process.stdout.read()
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    converted = len(list(audio.glob("*.wav")))
    assert not (data_root / "datasets" / "many").exists()
    assert converted < 120, "the import finished before it was killed"
    finished = subprocess.run(command, cwd=PROJECT, env=env, capture_output=True, text=True)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    report = json.loads(finished.stdout[finished.stdout.index("{"):])
    print(f"killed with {converted} of 120 converted; the rerun reused {report['reused_audio']}")
    # Files whose results had not reached the parent yet (a chunk in flight, usually 0-4) are converted again.
    assert report["imported"] == 120 and 0 < report["reused_audio"] <= converted
    assert not (data_root / "datasets" / "many.partial").exists()


def test_a_full_disk_stops_the_import_and_the_same_command_finishes_it_later(importer, data_root, unavailable):
    datasets = data_root / "datasets"
    datasets.mkdir(parents=True)
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(datasets)]).returncode:
        unavailable("mounting a small tmpfs needs root")
    try:
        folder = data_root.parent / "big"
        recording = tone(data_root.parent / "raw", "two-seconds.wav", seconds=2.0, rate=44100)
        folder.mkdir()
        for number in range(40):  # 40 x 64 kB converted > 1 MB
            shutil.copy(recording, folder / f"u{number:02d}.wav")
            (folder / f"u{number:02d}.txt").write_text(f"utterance {number}")
        from playbook.errors import UserError
        with pytest.raises(UserError, match=r"the disk holding .* is full; free some space and run the same command again"):
            importer.run_import("folder", folder, "big", workers=1)
        assert not (datasets / "big").exists()
        subprocess.run(["mount", "-o", "remount,size=20m", str(datasets)], check=True)
        report = importer.run_import("folder", folder, "big", workers=1)
        assert report["imported"] == 40 and report["rejected"] == 0 and report["reused_audio"] > 0
    finally:
        subprocess.run(["umount", str(datasets)])


def test_audio_that_is_empty_silent_too_short_or_too_long_is_rejected_and_the_rest_imported(importer, data_root):
    folder = data_root.parent / "lengths"
    cases = {"good-1": {}, "empty": dict(seconds=0), "silent": dict(amplitude=0.0), "short": dict(seconds=0.2),
             "long": dict(seconds=6.0), "good-2": dict(seconds=2.0, rate=22050)}
    for name, shape in cases.items():
        tone(folder, f"{name}.wav", **shape)
        (folder / f"{name}.txt").write_text("ok")
    report = importer.run_import("folder", folder, "lengths", max_seconds=5.0, split=[2, 0, 0])
    assert report["reasons"] == {"empty_audio": 1, "silent": 1, "too_short": 1, "too_long": 1}
    rejected = {row["reason"]: row for row in rows(data_root / "datasets" / "lengths" / "rejected.csv")}
    assert rejected["too_long"]["detail"] == "6.00 s, the maximum is 5.0 s" and rejected["too_short"]["origin"] == "short.wav"
    assert rejected["silent"]["detail"] == "loudest sample 0"
    assert sorted(Path(r["wav_filename"]).name for r in rows(data_root / "datasets" / "lengths" / "train.csv")) == \
        ["good-1.wav", "good-2.wav"]


def test_a_folder_without_audio_is_refused_and_leaves_nothing(importer, data_root):
    folder = data_root.parent / "texts-only"
    folder.mkdir()
    (folder / "a.txt").write_text("a transcript without its recording")
    from playbook.errors import UserError
    with pytest.raises(UserError, match=r"texts-only holds no audio files \(\.wav, \.flac, \.mp3"):
        importer.run_import("folder", folder, "none")
    assert not list((data_root / "datasets").iterdir())
