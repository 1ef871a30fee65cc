"""Datasets: transcripts normalised by one set of rules, every bad row named with one reason before
the engine sees it, and `train` refusing a dataset with a broken row before TensorFlow starts."""
import csv
import json

import pytest

from audio_files import ALPHABET, write_wav


def write_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["wav_filename", "wav_filesize", "transcript"])
        for wav, transcript in rows:
            writer.writerow([wav, 0, transcript])
    return path


@pytest.fixture()
def validate(template_playbook):
    return template_playbook("playbook.data.validate")


@pytest.fixture()
def dataset(tmp_path):
    """Two good rows, then one row for every reason (each row's transcript names what is wrong with it)."""
    folder = tmp_path / "mine"
    (folder / "wav").mkdir(parents=True)
    (folder / "alphabet.txt").write_text("".join(label + "\n" for label in ALPHABET))
    good = [write_wav(folder / "wav" / "good-1.wav"), write_wav(folder / "wav" / "good-2.wav", seconds=1.5)]
    (folder / "wav" / "unreadable.wav").write_text("this is not audio")
    write_wav(folder / "wav" / "truncated.wav")
    with open(folder / "wav" / "truncated.wav", "r+b") as handle:
        handle.truncate(30)
    bad = {
        "missing": ("wav/not-there.wav", "missing file"),
        "unreadable": ("wav/unreadable.wav", "not audio"),
        "unreadable-truncated": ("wav/truncated.wav", "truncated header"),
        "wrong_format-8k": (write_wav(folder / "wav" / "eight-k.wav", rate=8000).name, "eight kilohertz"),
        "wrong_format-stereo": (write_wav(folder / "wav" / "stereo.wav", channels=2).name, "two channels"),
        "wrong_format-8bit": (write_wav(folder / "wav" / "eight-bit.wav", width=1).name, "eight bits"),
        "wrong_format-24bit": (write_wav(folder / "wav" / "24-bit.wav", width=3).name, "twenty four bits"),
        "empty_audio": (write_wav(folder / "wav" / "empty.wav", seconds=0).name, "no samples"),
        "silent": (write_wav(folder / "wav" / "silent.wav", amplitude=0.0).name, "silence"),
        "too_short": (write_wav(folder / "wav" / "short.wav", seconds=0.1).name, "hi"),
        "too_long": (write_wav(folder / "wav" / "long.wav", seconds=21).name, "long"),
        "empty_transcript": (write_wav(folder / "wav" / "untranscribed.wav").name, ""),
        "outside_alphabet": (write_wav(folder / "wav" / "cafe.wav").name, "un café naïve"),
        "transcript_too_long": (write_wav(folder / "wav" / "half-second.wav", seconds=0.5).name, "a" * 13 + "b" * 2),
        "duplicate": ("wav/good-1.wav", "good one again"),
    }
    rows = [(f"wav/{path.name}", "good recording") for path in good]
    rows += [(wav if wav.startswith("wav/") else f"wav/{wav}", transcript) for wav, transcript in bad.values()]
    write_csv(folder / "train.csv", rows)
    write_csv(folder / "dev.csv", rows[:2])
    return folder, ["good", "good"] + [reason.split("-")[0] for reason in bad]


def test_every_reason_is_found_and_the_good_rows_pass(validate, dataset):
    folder, expected = dataset
    rows = validate.check_csv(folder / "train.csv", ALPHABET, deep=True)
    assert [row.reason or "good" for row in rows] == expected
    assert set(expected) - {"good"} == set(validate.REASONS), "a reason without a row in this test"
    summary = validate.summary(rows)
    assert summary["good"] == 2 and summary["rejected"] == len(expected) - 2
    assert summary["reasons"]["wrong_format"] == 4 and summary["reasons"]["unreadable"] == 2


def test_each_rejection_says_why(validate, dataset):
    folder, _ = dataset
    rows = {}
    for row in validate.check_csv(folder / "train.csv", ALPHABET, deep=True):
        rows.setdefault(row.reason, row)  # the first row of each reason
    assert rows["wrong_format"].detail == "8000 Hz, 1 channel(s), 16-bit"
    assert rows["outside_alphabet"].detail == "'é' (U+00E9), 'ï' (U+00EF)"
    # 15 labels with one repeat inside each run: 13 a's and 2 b's need 15 + 12 + 1 = 28 frames; 0.5 s gives 24.
    assert rows["transcript_too_long"].detail == "15 characters need 28 frames; 0.50 s of audio gives 24"
    assert rows["duplicate"].detail == f"first in {folder / 'train.csv'} line 2"
    assert rows["silent"].detail == "loudest sample 0"
    assert rows["too_long"].detail == "21.00 s, the maximum is 20.0 s"


def test_a_header_check_does_not_read_samples(validate, dataset):
    folder, expected = dataset
    rows = validate.check_csv(folder / "train.csv", ALPHABET)  # not deep: silence is not looked for
    assert [row.reason or "good" for row in rows] == [reason if reason != "silent" else "good" for reason in expected]


def test_ctc_frames_count_repeats_and_the_feature_window(validate):
    assert validate.ctc_frames_needed("hello") == 6  # 'll' needs a blank between
    assert validate.frames(16000) == 49  # 1 + (16000 - 512) // 320
    assert validate.frames(511) == 0


def test_training_refuses_a_broken_row_before_the_engine_starts(template_playbook, dataset, data_root):
    folder, _ = dataset
    training = template_playbook("playbook.training")
    from playbook.errors import UserError
    with pytest.raises(UserError) as refused:
        training.train("mine", folder)
    message = str(refused.value)
    assert message.startswith(f"{folder / 'train.csv'} line 4: the audio file does not exist ({folder / 'wav/not-there.wav'}); ")
    assert "copy the file into the dataset folder or remove the row." in message
    assert "rows in all are unusable" in message and f"`playbook check-dataset {folder}`" in message
    assert not (data_root / "runs" / "mine").exists(), "a refused run must leave no folder behind"


def test_check_dataset_lists_every_bad_row_and_exits_2(template_playbook, dataset, capsys):
    folder, expected = dataset
    main = template_playbook("playbook.__main__").main
    code = main(["check-dataset", str(folder), "--deep", "--show", "50"])
    out = capsys.readouterr()
    assert code == 2
    assert f"{folder / 'train.csv'} line 7: wrong_format: 8000 Hz, 1 channel(s), 16-bit" in out.out
    report = json.loads(out.out[out.out.index("{"):])
    assert report["splits"]["train"]["rejected"] == len(expected) - 2
    # dev.csv repeats train's good rows: an audio file in two splits leaks the test into training.
    assert report["splits"]["dev"]["reasons"] == {"duplicate": 2}
    assert "rows would stop training" in out.err and "Traceback" not in out.err


@pytest.fixture()
def text(template_playbook):
    return template_playbook("playbook.data.text")


@pytest.mark.parametrize("raw, expected", [
    ("Hello, World!", "hello world"),
    ("It\u2019s \u201cquoted\u201d", "it's quoted"),
    ("\ufb01ne \uff26ULL-width", "fine full width"),  # NFKC: ligature and full-width letters
    ("soft\u00adhyphen and\tTAB\nnew line", "softhyphen and tab new line"),
    ("  spaces   everywhere  ", "spaces everywhere"),
])
def test_transcripts_are_normalised_by_the_documented_rules(text, raw, expected):
    assert text.TextNormaliser(ALPHABET).transcript(raw) == (expected, [])


def test_characters_outside_the_alphabet_are_reported_and_map_fixes_them(text):
    normaliser = text.TextNormaliser(ALPHABET)
    assert normaliser.transcript("Crème brûlée") == ("cr\0me br\0l\0e", ["è", "û", "é"])
    mapped = text.TextNormaliser(ALPHABET, text.parse_mapping(["è=e", "û=u", "é=e"]))
    assert mapped.transcript("Crème brûlée") == ("creme brulee", [])


def test_without_an_alphabet_letters_marks_and_digits_are_kept(text):
    assert text.TextNormaliser().transcript("Größe: 42 Äpfel, l'été!") == ("größe 42 äpfel l'été", [])
    assert text.TextNormaliser(keep_case=True).transcript("Größe") == ("Größe", [])


def test_an_alphabet_with_capitals_keeps_case(text):
    assert text.TextNormaliser(ALPHABET + ["A"]).transcript("A b") == ("A b", [])


def test_language_model_text_uses_the_same_rules(template_playbook):
    lm = template_playbook("playbook.scorer.kenlm")
    assert lm.Normaliser(ALPHABET, "drop-word", {}).line("It\u2019s a caf\u00e9, OK?") == "it's a ok"
    assert lm.Normaliser(ALPHABET, "drop-char", {}).line("un caf\u00e9") == "un caf"
    assert lm.Normaliser(ALPHABET, "drop-sentence", {}).line("un caf\u00e9") == ""
