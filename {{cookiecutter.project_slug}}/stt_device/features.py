"""MFCC features in numpy, the same numbers as the model's own feature subgraph.

The exported model carries its feature computation (TensorFlow's AudioSpectrogram and
Mfcc ops), but the Python TFLite API can only invoke the whole graph, so computing a
20 ms frame that way also runs the acoustic model once: 50 times per second of audio,
which is most of the work for a wide model. These are the same operations in numpy:
a periodic Hann window, the squared magnitude spectrum, TensorFlow's mel filterbank
(40 channels from 20 Hz to half the sample rate, 1127 ln(1 + f/700) mel scale, weights
on the magnitude), the log (floor 1e-12) and TensorFlow's DCT-II. `python -m stt_device
--describe` and `playbook decoder-parity` report how far they are from the subgraph.
"""
import math

import numpy as np

MEL_CHANNELS = 40
LOWEST_HZ = 20.0
LOG_FLOOR = 1e-12


def _mel(hz):
    return 1127.0 * np.log1p(np.asarray(hz, dtype=np.float64) / 700.0)


class Mfcc(object):
    def __init__(self, sample_rate, window, step, coefficients):
        self.window, self.step = window, step
        self.fft = 1 << (window - 1).bit_length()
        bins = self.fft // 2 + 1
        highest = sample_rate / 2.0
        mel_low = _mel(LOWEST_HZ)
        spacing = (_mel(highest) - mel_low) / (MEL_CHANNELS + 1)
        centers = mel_low + spacing * (np.arange(MEL_CHANNELS + 1) + 1)
        hz_per_bin = 0.5 * sample_rate / (bins - 1)
        first, last = int(1.5 + LOWEST_HZ / hz_per_bin), int(highest / hz_per_bin)
        # Each bin between first and last feeds the channel below its mel value with weight w
        # and the channel above with 1 - w (TensorFlow's MfccMelFilterbank).
        self.filterbank = np.zeros((bins, MEL_CHANNELS))
        channel = 0
        for index in range(first, last + 1):
            value = _mel(index * hz_per_bin)
            while channel < MEL_CHANNELS and centers[channel] < value:
                channel += 1
            below = channel - 1
            if below >= 0:
                weight = (centers[below + 1] - value) / (centers[below + 1] - centers[below])
                self.filterbank[index, below] += weight
            else:
                weight = (centers[0] - value) / (centers[0] - mel_low)
            if below + 1 < MEL_CHANNELS:
                self.filterbank[index, below + 1] += 1.0 - weight
        self.dct = math.sqrt(2.0 / MEL_CHANNELS) * np.cos(
            np.outer(np.arange(coefficients), np.arange(MEL_CHANNELS) + 0.5) * math.pi / MEL_CHANNELS)
        self.hann = 0.5 - 0.5 * np.cos(2.0 * math.pi * np.arange(window) / window)

    def frames(self, audio):
        """MFCCs of every full window of AUDIO (mono float samples), shape (windows, coefficients)."""
        count = max(0, (len(audio) - self.window) // self.step + 1)
        if count == 0:
            return np.zeros((0, self.dct.shape[0]), dtype=np.float32)
        starts = np.arange(count)[:, None] * self.step + np.arange(self.window)[None, :]
        windows = np.asarray(audio, dtype=np.float64)[starts] * self.hann
        magnitude = np.abs(np.fft.rfft(windows, self.fft))
        energies = magnitude @ self.filterbank
        return (np.log(np.maximum(energies, LOG_FLOOR)) @ self.dct.T).astype(np.float32)
