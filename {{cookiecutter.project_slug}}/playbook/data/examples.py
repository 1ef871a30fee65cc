"""Small corpora in each layout `playbook import` reads, spoken by espeak-ng, with broken rows of
every kind: what the Data chapter imports, and a safe place to try the importer's options.

    python -m playbook.data.examples /data/incoming

common-voice/en/   clips/*.mp3 (48 kHz) and train/dev/test.tsv, as a Common Voice release has them
LibriSpeech/       train-clean/, dev-clean/, test-clean/ <speaker>/<chapter>/*.flac and .trans.txt
recordings/        WAV files at 8, 22.05, 44.1 and 48 kHz, mono and stereo, 16 and 24-bit, a .txt each
ljspeech/          wavs/*.wav and metadata.csv (id|text|normalised text)
manifest/          NeMo-style manifest.json and its audio
Broken rows (in common-voice/en/train.tsv and recordings/): a missing clip, a corrupt one, an empty
and a silent recording, one too short and one too long, an empty transcript, one too long for its
audio, characters outside the English alphabet, and a clip listed twice.
"""
import csv
import json
import sys
from pathlib import Path

from ..errors import UserError
from .sample import VOICES, _sentences, require_tools, speak

MP3 = ("-r", "48000")  # Common Voice clips are 48 kHz mp3
HEADER = ["client_id", "path", "sentence", "up_votes", "down_votes", "age", "gender", "accent", "locale", "segment"]


def _lines(count, start=0):
    sentences = list(_sentences())
    return [sentences[(start + 7 * number) % len(sentences)] for number in range(count)]


def common_voice(root):
    folder = root / "common-voice" / "en"
    clips = folder / "clips"
    tables = {}
    for split, count, start in (("train", 24, 0), ("dev", 4, 50), ("test", 4, 90)):
        tables[split] = []
        for number, text in enumerate(_lines(count, start)):
            name = "common_voice_en_{}{:03d}.mp3".format(split, number)
            speak(text.capitalize() + ".", clips / name, VOICES[number % len(VOICES)], MP3)
            tables[split].append(["speaker{}".format(number % 5), name, text.capitalize() + ".", 2, 0, "", "", "", "en", ""])
    # Broken rows, one of each kind that a release can hold.
    (clips / "corrupt.mp3").write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\x00" * 300)
    speak("one", clips / "short.mp3", "en-us", MP3, ("trim", "0", "0.15"))
    speak("turn on the light", clips / "long.mp3", "en-us", MP3, ("pad", "0", "21"))
    speak("no", clips / "short-for-its-text.mp3", "en-us", MP3, ("trim", "0", "0.5"))
    speak("the cafe", clips / "accents.mp3", "en-gb", MP3)
    tables["train"] += [
        ["x", "not_downloaded.mp3", "A clip that is not there.", 2, 0, "", "", "", "en", ""],
        ["x", "corrupt.mp3", "A corrupt clip.", 2, 0, "", "", "", "en", ""],
        ["x", "short.mp3", "One.", 2, 0, "", "", "", "en", ""],
        ["x", "long.mp3", "Turn on the light.", 2, 0, "", "", "", "en", ""],
        ["x", "short-for-its-text.mp3", "No, this transcript is far longer than half a second of audio.", 2, 0, "", "", "", "en", ""],
        ["x", "accents.mp3", "The café.", 2, 0, "", "", "", "en", ""],
        ["x", "common_voice_en_train000.mp3", tables["train"][0][2], 2, 0, "", "", "", "en", ""],
    ]
    for split, rows in tables.items():
        with open(str(folder / "{}.tsv".format(split)), "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, delimiter="\t")
            writer.writerow(HEADER)
            writer.writerows(rows)
    return folder


def librispeech(root):
    folder = root / "LibriSpeech"
    for subset, speakers, start in (("train-clean", ("19", "26", "32"), 0), ("dev-clean", ("84",), 60),
                                    ("test-clean", ("61",), 100)):
        for speaker_number, speaker in enumerate(speakers):
            chapter = folder / subset / speaker / "198"
            lines = []
            for number, text in enumerate(_lines(6, start + 13 * speaker_number)):
                utterance = "{}-198-{:04d}".format(speaker, number)
                speak(text, chapter / (utterance + ".flac"), VOICES[(speaker_number + number) % len(VOICES)], ("-r", "16000"))
                lines.append("{} {}".format(utterance, text.upper()))
            (chapter / "{}-198.trans.txt".format(speaker)).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def recordings(root):
    """Recordings as people have them: any rate, channels and width; a transcript beside each."""
    folder = root / "recordings"
    formats = [["-r", "8000"], ["-r", "22050", "-c", "2"], ["-r", "44100", "-b", "24"], ["-r", "48000", "-c", "2", "-b", "24"]]
    for number, text in enumerate(_lines(24, 30)):
        speak(text, folder / "take{:02d}.wav".format(number), VOICES[number % len(VOICES)], formats[number % len(formats)])
        (folder / "take{:02d}.txt".format(number)).write_text("{}. (take {})\n".format(text.capitalize(), number + 1),
                                                             encoding="utf-8")
    speak("silence", folder / "empty.wav", "en-us", ("-r", "16000"), ("trim", "0", "0"))
    (folder / "empty.txt").write_text("An empty recording.\n")
    speak("quiet", folder / "silent.wav", "en-us", ("-r", "16000"), ("vol", "0"))
    (folder / "silent.txt").write_text("Nothing to hear.\n")
    speak("who said this", folder / "untranscribed.wav", "en-us", ("-r", "16000"))
    (folder / "untranscribed.txt").write_text("\n")
    return folder


def ljspeech(root):
    folder = root / "ljspeech"
    lines = []
    for number, text in enumerate(_lines(16, 70)):
        identifier = "LJ001-{:04d}".format(number + 1)
        speak(text, folder / "wavs" / (identifier + ".wav"), "en-us", ("-r", "22050"))
        lines.append("{}|{}|{}".format(identifier, text.capitalize() + ";", text.capitalize() + "."))
    (folder / "metadata.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def manifest(root):
    folder = root / "manifest"
    entries = []
    for number, text in enumerate(_lines(12, 110)):
        audio = speak(text, folder / "audio" / "utt{:02d}.wav".format(number), VOICES[number % len(VOICES)], ("-r", "16000"))
        entries.append({"audio_filepath": "audio/" + audio.name, "text": text, "duration": None})
    with open(str(folder / "manifest.json"), "w", encoding="utf-8") as handle:
        for entry in entries:
            handle.write(json.dumps(entry) + "\n")
    return folder


def make_all(root):
    root = Path(root)
    if root.exists() and any(root.iterdir()):
        raise UserError("{} is not empty; give a new folder for the example corpora.".format(root))
    require_tools("the example corpora")
    made = {name: str(make(root)) for name, make in (("common-voice", common_voice), ("librispeech", librispeech),
                                                    ("folder", recordings), ("ljspeech", ljspeech),
                                                    ("manifest", manifest))}
    return made


if __name__ == "__main__":
    try:
        print(json.dumps(make_all(sys.argv[1] if len(sys.argv) > 1 else "/data/incoming"), indent=2))
    except UserError as error:
        print("error: {}".format(error), file=sys.stderr)
        sys.exit(2)
