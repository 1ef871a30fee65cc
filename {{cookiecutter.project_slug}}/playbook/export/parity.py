"""Does the device runtime compute and write what the engine's own code does?

Three checks, run from the engine's interpreter (CPython 3.7, TensorFlow 1.15):
- features and probabilities: the device runtime's numpy MFCCs and per-frame probabilities
  (ai-edge-litert) against the model's own feature subgraph and acoustic model run by
  TensorFlow 1.15's TFLite interpreter; the max differences, how many frames have the same
  most likely label, and whether the engine's decoder writes the same text from either
  interpreter's probabilities (what a user sees: with dynamic-range quantised weights the two
  interpreters quantise activations on the fly and their probabilities differ by up to ~1e-2);
- decoder: stt_device.beam_search (CPython 3.11, no TensorFlow) and the engine's own
  decoder (coqui-stt-ctcdecoder 1.4.0 or ds-ctcdecoder 0.9.3) on the same probabilities and
  scorer must write the same text;
- whole path: the device runtime's text against the engine's native client (Coqui's `stt`
  1.4.0 or DeepSpeech's `deepspeech-tflite` 0.9.3: its own TFLite, features and C++ decoder)
  on the same audio, model and scorer.
"""
import json
import subprocess
import tempfile
import time
from pathlib import Path

from stt_device import decoding
from stt_device.decoding import DEFAULT_BEAM_WIDTH

from ..errors import UserError
from . import device as device_runtime


# Not a word of any corpus: what both decoders must score as unknown.
UNKNOWN_WORD = "qzxjvq"


def compare(run, model, files, scorer=None, beam_width=DEFAULT_BEAM_WIDTH, alpha=None, beta=None, hot_words=None,
            xnnpack=False):
    import numpy as np
    from .. import engines
    from ..scorer import package as packages
    engine = engines.current()
    decoder = engine.decoder()
    alphabet = decoder.Alphabet(str(run / "alphabet.txt"))
    engine_scorer = None
    if scorer is not None:
        package = packages.read_package(scorer)
        alpha = package.alpha if alpha is None else alpha
        beta = package.beta if beta is None else beta
        engine_scorer = decoder.Scorer(alpha, beta, str(scorer), alphabet)
    # TensorFlow's own TFLite interpreter, fed by the device runtime's code, and the engine's native client.
    import tensorflow as tf
    from stt_device.audio import for_model
    from stt_device.model import TfliteModel
    reference = TfliteModel(model, interpreter_class=tf.lite.Interpreter)
    native = engine.native_model(model)
    native.setBeamWidth(beam_width)
    if scorer is not None:
        native.enableExternalScorer(str(scorer))
        native.setScorerAlphaBeta(alpha, beta)
    for word, boost in (hot_words or {}).items():
        native.addHotWord(word, boost)
    with tempfile.TemporaryDirectory() as probs_dir:
        options = {"beam_width": beam_width, "hot_words": ",".join("{}:{}".format(*item) for item in (hot_words or {}).items()) or None}
        if scorer is not None:
            options.update(scorer=scorer, alpha=repr(alpha), beta=repr(beta))
        command = device_runtime.command(model, "--json", "--probs-out", probs_dir, *(decoding.as_arguments(options) + list(files)),
                                         xnnpack=xnnpack)
        result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                universal_newlines=True)
        if result.returncode != 0:
            raise UserError("the device runtime failed: {}".format(result.stderr.strip().splitlines()[-1:]))
        device = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
        rows = []
        engine_hot_words = {w: float(b) for w, b in (hot_words or {}).items()}
        for item in device:
            probs = np.load(str(Path(probs_dir) / (Path(item["file"]).stem + ".npy"))).astype(np.float64)
            started = time.perf_counter()
            engine_text = engine.decode(probs, alphabet, beam_width, scorer=engine_scorer, hot_words=engine_hot_words)
            engine_seconds = time.perf_counter() - started
            audio = for_model(item["file"], reference.sample_rate)
            # The engine's whole TFLite path: the model's own feature subgraph, then the acoustic model.
            engine_features = reference.features_by_subgraph(audio)
            engine_probs = reference.probabilities(engine_features)
            interpreter_text = engine.decode(engine_probs.astype(np.float64), alphabet, beam_width, scorer=engine_scorer,
                                             hot_words=engine_hot_words)
            native_text = native.stt((audio * 32768).astype(np.int16)).strip()
            rows.append({"file": item["file"], "device": item["transcript"], "engine": engine_text, "native": native_text,
                         "same": item["transcript"] == engine_text, "same_as_native": item["transcript"] == native_text,
                         "interpreter_text": interpreter_text, "same_across_interpreters": interpreter_text == engine_text,
                         "frames": len(probs),
                         "argmax_differences": int((engine_probs.argmax(axis=1) != probs.argmax(axis=1)).sum()) if len(probs) else 0,
                         "max_probability_difference": float(np.abs(engine_probs - probs).max()) if len(probs) else 0.0,
                         "max_feature_difference": float(np.abs(engine_features - reference.features(audio)).max())
                         if len(probs) else 0.0,
                         "audio_seconds": item["audio_seconds"],
                         "device_decode_seconds": item["decode_seconds"], "engine_decode_seconds": round(engine_seconds, 4)})
    audio = sum(row["audio_seconds"] for row in rows) or 1.0
    # Both decoders score a word the language model lacks with one constant (stt_device.decoding.OOV_SCORE).
    engine_oov = engine.word_log_probability(engine_scorer, UNKNOWN_WORD) if engine_scorer is not None else None
    return {"engine": engine.describe(), "engine_oov_score": engine_oov, "device_oov_score": decoding.OOV_SCORE, "native_client": engine.native_package, "model": str(model),
            "device_kernels": "xnnpack" if xnnpack else "tflite", "scorer": str(scorer) if scorer else None, "beam_width": beam_width,
            "alpha": alpha, "beta": beta, "hot_words": hot_words or {}, "files": len(rows),
            "agree": sum(row["same"] for row in rows), "agree_with_native": sum(row["same_as_native"] for row in rows),
            "agree_across_interpreters": sum(row["same_across_interpreters"] for row in rows),
            "frames": sum(row["frames"] for row in rows),
            "argmax_differences": sum(row["argmax_differences"] for row in rows),
            "max_probability_difference": max((row["max_probability_difference"] for row in rows), default=0.0),
            "max_feature_difference": max((row["max_feature_difference"] for row in rows), default=0.0),
            "audio_seconds": round(audio, 3),
            # decode time per second of audio: below 1 keeps up with speech
            "device_decode_rtf": round(sum(row["device_decode_seconds"] for row in rows) / audio, 4),
            "engine_decode_rtf": round(sum(row["engine_decode_seconds"] for row in rows) / audio, 4), "rows": rows}


def compare_run(name, model=None, files=(), scorer=None, beam_width=None, alpha=None, beta=None, hot_words=None,
                xnnpack=False):
    """`playbook decoder-parity`: compare() for run NAME, its newest export unless MODEL, a scorer by file or build name."""
    from ..scorer.kenlm import resolve_scorer
    from ..training import load_run
    from .tflite import latest_export
    run, _ = load_run(name)
    return compare(run, model or latest_export(name), files, resolve_scorer(scorer) if scorer else None,
                   beam_width or DEFAULT_BEAM_WIDTH, alpha, beta, hot_words, xnnpack)
