"""A small synthetic English corpus spoken by espeak-ng, in the DeepSpeech CSV format.

Sentences come from a tiny home-automation grammar so that a small model can
learn them in minutes. The dev and test sets hold sentences that never occur in
the training set, spoken by the same voices: the test set measures whether the
model learned characters, not whole utterances.
"""
import csv
import itertools
import json
import random
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .. import storage
from ..errors import UserError
from ..settings import SAMPLE_RATE

ALPHABET = [" "] + [chr(c) for c in range(ord("a"), ord("z") + 1)] + ["'"]

# espeak-ng voice+variant names and speaking rates (words per minute).
VOICES = ["en-us", "en-gb", "en-us+f3", "en-gb+m3", "en-us+m5", "en-029"]
SPEEDS = [140, 165, 190]

DEVICES = ["light", "fan", "heater", "radio", "lamp"]
ROOMS = ["kitchen", "bedroom", "garage", "hallway", "office"]
NUMBERS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]  # 1-10
OPENINGS = ["door", "window", "curtains", "gate"]


def _sentences():
    for state, device, room in itertools.product(["on", "off"], DEVICES, ROOMS):
        yield "turn {} the {} in the {}".format(state, device, room)
    for state, device in itertools.product(["on", "off"], DEVICES):
        yield "turn {} the {}".format(state, device)
    for device, number in itertools.product(DEVICES, NUMBERS):
        yield "set the {} to level {}".format(device, number)
    for number in NUMBERS:
        yield "set a timer for {} minutes".format(number)
    for verb, thing in itertools.product(["open", "close"], OPENINGS):
        yield "{} the {}".format(verb, thing)
    for verb in ["play", "stop", "pause"]:
        yield "{} the music".format(verb)


def _extra_sentences():
    """Sentences of the same home-automation domain that no audio speaks: language-model text."""
    for device, room in itertools.product(DEVICES, ROOMS):
        yield "is the {} in the {} on".format(device, room)
        yield "switch off the {} in the {}".format(device, room)
    for device, state in itertools.product(DEVICES, ["on", "off"]):
        yield "switch {} the {}".format(state, device)
        yield "is the {} {}".format(device, state)
    for room in ROOMS:
        yield "what is the temperature in the {}".format(room)
        yield "close the door to the {}".format(room)
    for number, unit in itertools.product(NUMBERS, ["seconds", "hours"]):
        yield "set a timer for {} {}".format(number, unit)
    for verb in ["play", "stop", "pause", "resume"]:
        yield "{} the radio".format(verb)
        yield "{} the music in the kitchen".format(verb)


LM_CORPUS = "lm-corpus.txt"


def write_lm_corpus(out_dir, digits=False):
    """Every sentence of the grammar plus extra in-domain sentences, one per line, for `playbook lm`."""
    path = Path(out_dir) / LM_CORPUS
    if not path.exists():
        lines = list(_sentences()) + list(_extra_sentences())
        path.write_text("".join((written_with_digits(line) if digits else line) + "\n" for line in lines))
    return path


SPLITS = {"train": 111, "dev": 10, "test": 10}
# Training sentences are spoken by two different voices, for acoustic variety.
TAKES = {"train": 2, "dev": 1, "test": 1}


def plan(seed):
    """Which sentence each split gets, and which voice and speed speaks it."""
    rng = random.Random(seed)
    sentences = list(_sentences())
    rng.shuffle(sentences)
    plans, start = {}, 0
    for split, count in SPLITS.items():
        chosen = sentences[start:start + count]
        start += count
        plans[split] = [
            {"transcript": text, "voice": voice, "speed": rng.choice(SPEEDS)}
            for text in chosen
            for voice in rng.sample(VOICES, TAKES[split])
        ]
    return plans


def require_tools(what):
    """espeak-ng and sox, which speak WHAT (such as "the sample corpus")."""
    missing = [tool for tool in ("espeak-ng", "sox") if shutil.which(tool) is None]
    if missing:
        raise UserError(
            "{} not found: {} is spoken by espeak-ng and converted by sox; "
            "run this inside the project's container, or install them (apt-get install espeak-ng sox).".format(
                " and ".join(missing), what))


def speak(text, target, voice="en-us", formats=(), effects=(), speed=None):
    """espeak-ng's speech of TEXT converted by sox into TARGET (its suffix picks the file type; FORMATS such
    as ("-r", "8000") set the output's rate, channels and width; EFFECTS such as ("trim", "0", "0.5") follow).
    -R: sox dithers with a random generator seeded from the clock, so without it every corpus made (and
    every model trained on it) would be another."""
    speed = ["-s", str(speed)] if speed else []
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(suffix=".wav") as raw:
        subprocess.run(["espeak-ng", "-v", voice] + speed + ["-w", raw.name, text], check=True, capture_output=True)
        subprocess.run(["sox", "-R", raw.name] + list(formats) + [str(target)] + list(effects), check=True, capture_output=True)
    return target


# DeepSpeech wants 16 kHz, mono, 16-bit PCM WAV.
ENGINE_WAV = ("-r", str(SAMPLE_RATE), "-c", "1", "-b", "16")


def _speak(item, wav_path):
    speak(item["transcript"], wav_path, item["voice"], ENGINE_WAV, speed=item["speed"])


def written_with_digits(text):
    """'set a timer for ten minutes' -> 'set a timer for 10 minutes' (what the audio says is unchanged)."""
    return " ".join(str(NUMBERS.index(word) + 1) if word in NUMBERS else word for word in text.split())


def make_sample(out_dir, seed=1, digits=False):
    """Write the corpus to out_dir; return the manifest. Never overwrites another dataset.

    digits=True writes numbers as digits in the transcripts, so the alphabet gains 0-9:
    a second language, in effect, for trying transfer learning.
    """
    out_dir = Path(out_dir)
    manifest_path = out_dir / "manifest.json"
    expected = {"generator": "playbook.sample", "seed": seed, "splits": SPLITS, "takes": TAKES, "voices": VOICES,
                "digits": digits}
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        if {k: manifest.get(k) for k in expected} == expected:
            write_lm_corpus(out_dir, digits)
            manifest["reused"] = True
            return manifest
        raise UserError("{} already holds a different dataset; choose another --out or remove it yourself.".format(out_dir))
    if out_dir.exists() and any(out_dir.iterdir()):
        raise UserError("{} is not empty and is not a sample corpus; choose another --out.".format(out_dir))
    require_tools("the sample corpus")

    plans = plan(seed)
    # An empty out_dir (a mount point made for it) is replaced by the finished corpus.
    with storage.building(out_dir) as work:
        (work / "wav").mkdir()
        jobs = []
        for split, items in plans.items():
            for index, item in enumerate(items):
                item["wav_filename"] = "wav/{}-{:03d}.wav".format(split, index)
                jobs.append((item, work / item["wav_filename"]))
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(lambda job: _speak(*job), jobs))

        seconds = 0.0
        for split, items in plans.items():
            with open(str(work / "{}.csv".format(split)), "w", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(["wav_filename", "wav_filesize", "transcript"])
                for item in items:
                    size = (work / item["wav_filename"]).stat().st_size
                    seconds += (size - 44) / (2.0 * SAMPLE_RATE)
                    writer.writerow([item["wav_filename"], size,
                                     written_with_digits(item["transcript"]) if digits else item["transcript"]])
        alphabet = ALPHABET + [str(d) for d in range(10)] if digits else ALPHABET
        (work / "alphabet.txt").write_text("".join(label + "\n" for label in alphabet))
        write_lm_corpus(work, digits)
        manifest = dict(expected, seconds_of_audio=round(seconds, 1),
                        files={split: len(items) for split, items in plans.items()})
        (work / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    manifest["reused"] = False
    return manifest
