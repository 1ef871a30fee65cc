"""Reading audio for the model: 16 kHz, mono, 16-bit PCM WAV."""
import wave
from pathlib import Path

import numpy as np

from .errors import UserError


def read_wav(path):
    """(samples as float32 in [-1, 1), sample rate) of a 16-bit mono PCM WAV file."""
    path = Path(path)
    if not path.is_file():
        raise UserError("{}: no such file.".format(path))
    try:
        with wave.open(str(path), "rb") as handle:
            channels, width, rate, count = handle.getnchannels(), handle.getsampwidth(), handle.getframerate(), handle.getnframes()
            pcm = handle.readframes(count)
    except (wave.Error, EOFError) as error:
        raise UserError("{} is not a PCM WAV file ({}); convert it with: sox '{}' -r 16000 -c 1 -b 16 out.wav".format(path, error, path))
    if (channels, width) != (1, 2):
        raise UserError("{} has {} channel(s) of {}-bit audio; the model needs mono 16-bit: sox '{}' -r 16000 -c 1 -b 16 out.wav".format(
            path, channels, width * 8, path))
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0, rate
