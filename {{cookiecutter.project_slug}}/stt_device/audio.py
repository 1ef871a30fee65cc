"""Audio for the model: mono float32 samples at the model's rate.

The model was trained on 16 kHz mono 16-bit PCM. Other audio (8, 24 or 32-bit or
float samples, any channel count, any rate) is converted in memory: channels are
averaged, samples scaled to [-1, 1), and the rate changed with a band-limited (FFT)
resampler. Each conversion is reported, with the sox command that makes a file
that needs none.
"""
from pathlib import Path

import numpy as np

from .errors import UserError


def _sox(path, rate):
    return "sox '{}' -r {} -c 1 -b 16 out.wav".format(path, rate)


def check_audio(path):
    """soundfile's info on an audio file (its header only), or a UserError that names the file and the fix."""
    import soundfile
    path = Path(path)
    if not path.is_file():
        raise UserError("{}: no such file.".format(path))
    try:
        return soundfile.info(str(path))
    except (RuntimeError, soundfile.SoundFileError) as error:
        raise UserError("{} is not a PCM WAV file or other audio libsndfile reads ({}); convert it with: {}".format(
            path, str(error).strip(), _sox(path, 16000)))


def read_wav(path):
    """(samples as float32 in [-1, 1) of shape (frames, channels), sample rate, sample format) of an audio file.

    soundfile (libsndfile) reads every WAV variant (PCM 8-32 bit, float, the
    extensible header that sox writes for 24-bit or multichannel audio), FLAC and Ogg.
    """
    import soundfile
    info = check_audio(path)
    try:
        samples, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (RuntimeError, soundfile.SoundFileError) as error:
        raise UserError("{} could not be read to the end ({}); convert it with: {}".format(
            path, str(error).strip(), _sox(path, 16000)))
    return samples, rate, info.subtype


def resample(samples, rate, target):
    """Band-limited resampling of mono samples by zero-padding or truncating their spectrum."""
    if rate == target or len(samples) == 0:
        return samples.astype(np.float32)
    length = int(round(len(samples) * float(target) / rate))
    spectrum = np.fft.rfft(samples.astype(np.float64))
    bins = length // 2 + 1
    if bins <= len(spectrum):
        spectrum = spectrum[:bins]
    else:
        spectrum = np.concatenate([spectrum, np.zeros(bins - len(spectrum), dtype=spectrum.dtype)])
    return (np.fft.irfft(spectrum, length) * (float(length) / len(samples))).astype(np.float32)


# Below this share of the model's rate, a recording lacks a band of the spectrum the model listens to.
LOW_RATE_SHARE = 0.75


def low_rate_warning(path, rate, sample_rate):
    """What upsampling cannot do, in one sentence; None when RATE is close enough to SAMPLE_RATE."""
    if rate >= sample_rate * LOW_RATE_SHARE:
        return None
    return ("warning: {} was recorded at {} Hz: it holds no sound above {} Hz, which a model trained on {} Hz speech "
            "listens to, so expect a poor transcript; record at {} Hz or more, or fine-tune the model on audio of this "
            "rate (import it, docs/data.md, then `playbook finetune`).".format(path, rate, rate // 2, sample_rate, sample_rate))


def for_model(path, sample_rate, report=None):
    """PATH's audio as the model needs it: mono float32 at SAMPLE_RATE. REPORT(text) hears what was converted."""
    return convert(path, read_wav(path), sample_rate, report)


def convert(path, wav, sample_rate, report=None):
    """read_wav's result as mono float32 at SAMPLE_RATE, reporting each change."""
    samples, rate, sample_format = wav
    channels = samples.shape[1]
    mono = samples.mean(axis=1) if channels > 1 else samples[:, 0]
    changes = []
    if channels != 1:
        changes.append("{} channels averaged".format(channels))
    if rate != sample_rate:
        mono = resample(mono, rate, sample_rate)
        changes.append("{} Hz resampled to {} Hz".format(rate, sample_rate))
    if sample_format != "PCM_16":
        changes.append("{} samples scaled".format(sample_format))
    if changes and report is not None:
        report("note: {}: {} in memory; `{}` converts it once.".format(path, ", ".join(changes), _sox(path, sample_rate)))
    warning = low_rate_warning(path, rate, sample_rate)
    if warning and report is not None:
        report(warning)
    return mono.astype(np.float32)
