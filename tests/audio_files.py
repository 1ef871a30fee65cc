"""Small audio fixtures the host tests write: a sine tone as a PCM WAV, and the sample's alphabet.
A helper module, not a test module: tests import it, never each other."""
import math
import wave

ALPHABET = [" "] + [chr(c) for c in range(ord("a"), ord("z") + 1)] + ["'"]


def write_wav(path, seconds=1.0, rate=16000, channels=1, width=2, amplitude=0.3):
    frames = int(seconds * rate)
    if width == 1:
        data = bytes(128 + int(127 * amplitude * math.sin(i / 8.0)) for i in range(frames) for _ in range(channels))
    else:
        peak = (1 << (8 * width - 1)) - 1
        data = b"".join(int(peak * amplitude * math.sin(i / 8.0)).to_bytes(width, "little", signed=True) * channels
                        for i in range(frames))
    with wave.open(str(path), "wb") as audio:
        audio.setnchannels(channels)
        audio.setsampwidth(width)
        audio.setframerate(rate)
        audio.writeframes(data)
    return path
