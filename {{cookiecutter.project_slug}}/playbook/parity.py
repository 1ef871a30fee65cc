"""Does the device decoder write what the engine's decoder writes?

The device runtime (stt_device.beam_search, CPython 3.11, no TensorFlow) and the
engine's coqui-stt-ctcdecoder are given the same per-frame probabilities (from
the exported model, computed once by the device runtime) and the same scorer;
their transcripts must be equal. Runs in the engine's interpreter.
"""
import json
import subprocess
import tempfile
import time
from pathlib import Path

from . import settings
from .errors import UserError


def compare(run, model, files, scorer=None, beam_width=100, alpha=None, beta=None, hot_words=None):
    import numpy as np
    from coqui_stt_ctcdecoder import Alphabet, Scorer, ctc_beam_search_decoder
    from . import scorer as packages
    alphabet = Alphabet(str(run / "alphabet.txt"))
    engine_scorer = None
    if scorer is not None:
        package = packages.read_package(scorer)
        alpha = package.alpha if alpha is None else alpha
        beta = package.beta if beta is None else beta
        engine_scorer = Scorer(alpha, beta, str(scorer), alphabet)
    with tempfile.TemporaryDirectory() as probs_dir:
        command = [settings.DEVICE_PYTHON, "-m", "stt_device", "--model", str(model), "--json",
                   "--beam-width", str(beam_width), "--probs-out", probs_dir]
        if scorer is not None:
            command += ["--scorer", str(scorer), "--alpha", repr(alpha), "--beta", repr(beta)]
        if hot_words:
            command += ["--hot-words", ",".join("{}:{}".format(word, boost) for word, boost in hot_words.items())]
        result = subprocess.run(command + [str(f) for f in files], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                universal_newlines=True)
        if result.returncode != 0:
            raise UserError("the device runtime failed: {}".format(result.stderr.strip().splitlines()[-1:]))
        device = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
        rows = []
        for item in device:
            probs = np.load(str(Path(probs_dir) / (Path(item["file"]).stem + ".npy"))).astype(np.float64)
            started = time.perf_counter()
            decoded = ctc_beam_search_decoder(probs, alphabet, beam_width, scorer=engine_scorer,
                                              hot_words={w.encode("utf-8"): float(b) for w, b in (hot_words or {}).items()})
            engine_seconds = time.perf_counter() - started
            engine_text = decoded[0].transcript.strip()
            rows.append({"file": item["file"], "device": item["transcript"], "engine": engine_text,
                         "same": item["transcript"] == engine_text, "audio_seconds": item["audio_seconds"],
                         "device_decode_seconds": item["decode_seconds"], "engine_decode_seconds": round(engine_seconds, 4)})
    audio = sum(row["audio_seconds"] for row in rows) or 1.0
    return {"model": str(model), "scorer": str(scorer) if scorer else None, "beam_width": beam_width,
            "alpha": alpha, "beta": beta, "hot_words": hot_words or {}, "files": len(rows),
            "agree": sum(row["same"] for row in rows), "audio_seconds": round(audio, 3),
            # decode time per second of audio: below 1 keeps up with speech
            "device_decode_rtf": round(sum(row["device_decode_seconds"] for row in rows) / audio, 4),
            "engine_decode_rtf": round(sum(row["engine_decode_seconds"] for row in rows) / audio, 4), "rows": rows}
