"""The device runtime's own error rates (stt_device.metrics) agree with jiwer's, and bad CSVs are named."""
import random
import sys

import jiwer
import pytest

from harness.bake import TEMPLATE


def _fresh(monkeypatch, module):
    """The template's own stt_device MODULE, imported afresh."""
    import importlib
    monkeypatch.syspath_prepend(str(TEMPLATE / "{{cookiecutter.project_slug}}"))
    for name in [m for m in sys.modules if m == "stt_device" or m.startswith("stt_device.")]:
        monkeypatch.delitem(sys.modules, name)
    return importlib.import_module(module)


@pytest.fixture()
def metrics(monkeypatch):
    return _fresh(monkeypatch, "stt_device.metrics")


def test_corpus_rates_equal_jiwer(metrics):
    rng = random.Random(7)
    words = ["turn", "on", "the", "light", "kitchen", "off", "a", ""]
    references, hypotheses, rates = [], [], metrics.ErrorRates()
    for _ in range(200):
        reference = " ".join(w for w in rng.choices(words, k=rng.randint(1, 8)) if w) or "on"
        hypothesis = " ".join(w for w in rng.choices(words, k=rng.randint(0, 8)) if w)
        per_file = rates.add(reference, hypothesis)
        assert per_file["cer"] == round(jiwer.cer(reference, hypothesis), 4)
        references.append(reference)
        hypotheses.append(hypothesis)
    assert rates.cer == round(jiwer.cer(references, hypotheses), 4)
    assert rates.wer == round(jiwer.wer(references, hypotheses), 4)


def test_csv_paths_are_relative_to_the_csv(metrics, tmp_path):
    (tmp_path / "test.csv").write_text("wav_filename,wav_filesize,transcript\nclips/a.wav,10,hello there\n/abs/b.wav,10,\n")
    rows = metrics.read_csv(tmp_path / "test.csv")
    assert rows == [(tmp_path / "clips" / "a.wav", "hello there"), (metrics.Path("/abs/b.wav"), "")]


@pytest.mark.parametrize("text, message", [
    ("file,transcript\na.wav,x\n", "has no wav_filename column (it has: file, transcript)"),
    ("wav_filename,transcript\n", "holds no rows"),
    ("wav_filename,transcript\n,x\n", "line 2: wav_filename is empty"),
])
def test_bad_csvs_are_refused_naming_file_and_problem(metrics, tmp_path, text, message):
    errors = sys.modules["stt_device.errors"]
    (tmp_path / "bad.csv").write_text(text)
    with pytest.raises(errors.UserError, match="bad.csv") as raised:
        metrics.read_csv(tmp_path / "bad.csv")
    assert message in str(raised.value)


@pytest.fixture()
def audio(monkeypatch):
    return _fresh(monkeypatch, "stt_device.audio")


@pytest.mark.parametrize("rate, warned", [(8000, True), (11025, True), (12000, False), (16000, False), (44100, False)])
def test_audio_far_below_the_models_rate_is_warned_about(audio, rate, warned):
    """Upsampling 8 kHz audio cannot give back the band above 4 kHz: the user hears why the text will be poor."""
    import numpy as np
    heard = []
    samples = np.zeros((rate, 1), dtype=np.float32)  # one second
    converted = audio.convert("call.wav", (samples, rate, "PCM_16"), 16000, report=heard.append)
    assert len(converted) == 16000
    warnings = [line for line in heard if line.startswith("warning:")]
    assert bool(warnings) == warned, heard
    if warned:
        assert f"call.wav was recorded at {rate} Hz: it holds no sound above {rate // 2} Hz" in warnings[0]
        assert "record at 16000 Hz or more, or fine-tune" in warnings[0]
