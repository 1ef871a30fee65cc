"""Overlay sources for the `overlay` augmentation: a CSV of noise clips on the data volume.

`playbook noise` makes the synthetic one every fresh project can use (coloured noise
and babble mixed from the sample corpus's voices); `playbook noise --from FOLDER` makes
one from the user's own recordings (any format libsndfile reads, any rate or channel
count), cut into clips of 16 kHz mono 16-bit. A source folder, once written, is never
overwritten.
"""
import csv
import json
import shutil
from pathlib import Path

import numpy as np

from .. import settings, storage
from ..errors import UserError

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".oga", ".aiff", ".aif")
CSV_NAME = "noise.csv"


def _write_clip(path, samples):
    import soundfile
    peak = float(np.max(np.abs(samples))) if len(samples) else 0.0
    if peak > 0.99:
        samples = samples * (0.99 / peak)
    soundfile.write(str(path), samples.astype(np.float32), settings.SAMPLE_RATE, subtype="PCM_16")


def _coloured(rng, kind, frames):
    """White, pink (1/f) or brown (1/f^2) noise at about -20 dBFS RMS."""
    white = rng.standard_normal(frames)
    if kind != "white":
        spectrum = np.fft.rfft(white)
        frequencies = np.fft.rfftfreq(frames, 1.0 / settings.SAMPLE_RATE)
        frequencies[0] = frequencies[1]
        spectrum /= frequencies ** (0.5 if kind == "pink" else 1.0)
        white = np.fft.irfft(spectrum, frames)
    return white * (0.1 / np.sqrt(np.mean(white ** 2)))


def _babble(rng, voices, frames, talkers):
    """Several sample utterances at once, at random offsets: the noise of a room full of people."""
    import soundfile
    mix = np.zeros(frames)
    for index in rng.choice(len(voices), size=talkers, replace=len(voices) < talkers):
        speech, _ = soundfile.read(str(voices[index]), dtype="float64")
        looped = np.tile(speech, frames // len(speech) + 2)
        start = int(rng.integers(0, len(speech)))
        mix += looped[start:start + frames]
    return mix * (0.1 / max(1e-9, np.sqrt(np.mean(mix ** 2))))


def _target(name):
    target = settings.NOISE / name
    if target.exists():
        raise UserError("{} already exists and is kept as it is; choose another --name (or remove it yourself).".format(target))
    return target


def _describe(partial, target, rows, details):
    """noise.csv and noise.json in the folder being built; the details, with the spec that uses TARGET."""
    with (partial / CSV_NAME).open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["wav_filename", "wav_filesize", "transcript"])
        for name, seconds in rows:
            writer.writerow([name, (partial / name).stat().st_size, ""])
    details.update(csv=str(target / CSV_NAME), clips=len(rows), seconds=round(sum(s for _, s in rows), 1))
    (partial / "noise.json").write_text(json.dumps(details, indent=2) + "\n")
    details["spec"] = "overlay[p=0.5,source={},snr=30:10~5]".format(target / CSV_NAME)
    return details


def synthetic(name="synthetic", seconds=5.0, seed=1):
    """White, pink and brown noise plus babble from the sample corpus's training voices."""
    voices = sorted((settings.SAMPLE_DATASET / "wav").glob("train-*.wav"))
    if not voices:
        raise UserError("the babble clips are mixed from the sample corpus, and {} has none; run `make sample` first "
                        "(or use your own recordings: playbook noise --from FOLDER).".format(settings.SAMPLE_DATASET / "wav"))
    target = _target(name)
    with storage.building(target) as partial:
        (partial / "wav").mkdir()
        rng, frames, rows = np.random.default_rng(seed), int(seconds * settings.SAMPLE_RATE), []
        for kind in ("white", "pink", "brown"):
            for index in range(3):
                rows.append(("wav/{}-{}.wav".format(kind, index), seconds))
                _write_clip(partial / rows[-1][0], _coloured(rng, kind, frames))
        for index in range(6):
            rows.append(("wav/babble-{}.wav".format(index), seconds))
            _write_clip(partial / rows[-1][0], _babble(rng, voices, frames, talkers=3 + index % 4))
        return _describe(partial, target, rows, {"kind": "synthetic", "seed": seed, "made_from": str(settings.SAMPLE_DATASET)})


def from_folder(folder, name=None, clip_seconds=10.0):
    """Every recording under folder, converted to the model's format and cut into clips."""
    from stt_device.audio import check_audio, read_wav, resample
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError("{}: no such folder; give the folder that holds your noise recordings.".format(folder))
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES)
    if not files:
        raise UserError("{} holds no audio files ({}).".format(folder, ", ".join(AUDIO_SUFFIXES)))
    for path in files:
        check_audio(path)  # a file libsndfile cannot read stops everything here, named, before anything is written
    target = _target(name or folder.name)
    with storage.building(target) as partial:
        (partial / "wav").mkdir()
        rows, clip = [], int(clip_seconds * settings.SAMPLE_RATE)
        for number, path in enumerate(files):
            samples, rate, _ = read_wav(path)  # one recording in memory at a time: noise collections are large
            mono = resample(samples.mean(axis=1), rate, settings.SAMPLE_RATE)
            for index, start in enumerate(range(0, len(mono), clip)):
                piece = mono[start:start + clip]
                if len(piece) < settings.SAMPLE_RATE // 2:  # shorter than half a second: too short to overlay
                    continue
                rows.append(("wav/{:04d}-{}-{:03d}.wav".format(number, path.stem[:40], index),
                             len(piece) / float(settings.SAMPLE_RATE)))
                _write_clip(partial / rows[-1][0], piece)
        if not rows:
            shutil.rmtree(str(partial))
            raise UserError("the recordings in {} are all shorter than half a second; nothing to overlay.".format(folder))
        return _describe(partial, target, rows, {"kind": "recordings", "made_from": str(folder), "files": len(files)})
