"""Transcribe WAV files with an exported DeepSpeech-family `.tflite` model.

This is the device path: it needs numpy and a TFLite interpreter
(`tflite-runtime` or `ai-edge-litert`) and never TensorFlow. Features are
computed by the model's own MFCC subgraph (`input_samples` -> `mfccs`), as the
native client does, so they match training exactly. Without a scorer the text is
the greedy (best path) decoding; with --scorer, a beam search constrained and
scored by the scorer package (playbook.beam_search).
"""
import argparse
import json
import struct
import sys
import time
import wave
from pathlib import Path

import numpy as np

from . import alphabet
from .errors import UserError

DEFAULT_BEAM_WIDTH = 100  # the engine's 1024 costs ten times more in this pure-Python search

BLANK_IS_LAST = True  # CTC blank is the extra class after the alphabet's labels.


def load_interpreter_class():
    try:
        from tflite_runtime.interpreter import Interpreter
    except ImportError:
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError:
            raise UserError("no TFLite runtime found: pip install tflite-runtime (or ai-edge-litert) and numpy<2.")
    return Interpreter


def parse_serialized_alphabet(blob):
    """Labels from Alphabet::Serialize(): uint16 count, then (uint16 index, uint16 length, UTF-8 bytes) pairs."""
    (count,), offset, labels = struct.unpack_from("<H", blob, 0), 2, {}
    for _ in range(count):
        index, length = struct.unpack_from("<HH", blob, offset)
        offset += 4
        labels[index] = blob[offset:offset + length].decode("utf-8")
        offset += length
    return [labels[i] for i in range(count)]


class TfliteModel:
    def __init__(self, model_path, alphabet_path=None, num_threads=2):
        model_path = Path(model_path)
        if not model_path.is_file():
            raise UserError("{}: no such model file; run `make export` first or pass --model.".format(model_path))
        Interpreter = load_interpreter_class()
        try:
            self.interpreter = Interpreter(model_path=str(model_path), num_threads=num_threads)
        except ValueError as error:
            raise UserError("{} is not a TFLite model this runtime can load ({}).".format(model_path, error))
        self.interpreter.allocate_tensors()
        self.inputs = {d["name"]: d for d in self.interpreter.get_input_details()}
        self.outputs = {d["name"]: d for d in self.interpreter.get_output_details()}
        for name in ("input_node", "input_samples", "previous_state_c", "previous_state_h"):
            if name not in self.inputs:
                raise UserError("{} has no input tensor '{}': it is not a DeepSpeech/Coqui STT export.".format(model_path, name))
        _, self.n_steps, window, self.n_features = self.inputs["input_node"]["shape"]
        self.n_context = (window - 1) // 2
        self.state_size = self.inputs["previous_state_c"]["shape"][1]
        self.sample_rate = int(self._metadata("metadata_sample_rate", 16000))
        self.win_len = int(self.sample_rate * self._metadata("metadata_feature_win_len", 32) / 1000)
        self.win_step = int(self.sample_rate * self._metadata("metadata_feature_win_step", 20) / 1000)
        self.labels = self._labels(model_path, alphabet_path)
        n_classes = self.outputs["logits"]["shape"][-1]
        if len(self.labels) + 1 != n_classes:
            raise UserError("alphabet has {} labels but {} has {} output classes; use the alphabet the model was trained with.".format(
                len(self.labels), model_path, n_classes))

    def _metadata(self, name, default):
        if name not in self.outputs:
            return default
        self._zero_inputs()
        self.interpreter.invoke()
        return self.interpreter.get_tensor(self.outputs[name]["index"]).reshape(-1)[0]

    def _labels(self, model_path, alphabet_path):
        if alphabet_path:
            return alphabet.labels(alphabet_path)
        if "metadata_alphabet" in self.outputs:
            blob = self._metadata("metadata_alphabet", b"")
            if isinstance(blob, str):
                blob = blob.encode("latin-1")
            if blob:
                return parse_serialized_alphabet(bytes(blob))
        beside = model_path.with_name("alphabet.txt")
        if beside.is_file():
            return alphabet.labels(beside)
        raise UserError("{} carries no alphabet; pass --alphabet with the alphabet.txt it was trained with.".format(model_path))

    def _zero_inputs(self):
        for detail in self.inputs.values():
            self.interpreter.set_tensor(detail["index"], np.zeros(detail["shape"], dtype=detail["dtype"]))

    def features(self, audio):
        """MFCC frames, one per full analysis window, computed by the model's subgraph."""
        self._zero_inputs()
        frames = []
        samples_index = self.inputs["input_samples"]["index"]
        mfccs_index = self.outputs["mfccs"]["index"]
        for start in range(0, len(audio) - self.win_len + 1, self.win_step):
            self.interpreter.set_tensor(samples_index, audio[start:start + self.win_len])
            self.interpreter.invoke()
            frames.append(self.interpreter.get_tensor(mfccs_index).reshape(self.n_features).copy())
        return np.array(frames, dtype=np.float32).reshape(-1, self.n_features)

    def probabilities(self, features):
        """Per-frame class probabilities (the `logits` output is already softmaxed)."""
        pad = np.zeros((self.n_context, self.n_features), dtype=np.float32)
        padded = np.concatenate([pad, features, pad])
        width = 2 * self.n_context + 1
        windows = np.stack([padded[i:i + width] for i in range(len(features))]) if len(features) else \
            np.zeros((0, width, self.n_features), dtype=np.float32)
        state_c = np.zeros((1, self.state_size), dtype=np.float32)
        state_h = np.zeros((1, self.state_size), dtype=np.float32)
        out = []
        for start in range(0, len(windows), self.n_steps):
            batch = windows[start:start + self.n_steps]
            valid = len(batch)
            if valid < self.n_steps:
                batch = np.concatenate([batch, np.zeros((self.n_steps - valid, width, self.n_features), dtype=np.float32)])
            self.interpreter.set_tensor(self.inputs["input_node"]["index"], batch[np.newaxis])
            self.interpreter.set_tensor(self.inputs["previous_state_c"]["index"], state_c)
            self.interpreter.set_tensor(self.inputs["previous_state_h"]["index"], state_h)
            self.interpreter.invoke()
            out.append(self.interpreter.get_tensor(self.outputs["logits"]["index"]).reshape(self.n_steps, -1)[:valid].copy())
            state_c = self.interpreter.get_tensor(self.outputs["new_state_c"]["index"])
            state_h = self.interpreter.get_tensor(self.outputs["new_state_h"]["index"])
        return np.concatenate(out) if out else np.zeros((0, len(self.labels) + 1), dtype=np.float32)

    def greedy_decode(self, probs):
        best = probs.argmax(axis=1)
        blank = len(self.labels)
        text, previous = [], None
        for index in best:
            if index != previous and index != blank:
                text.append(self.labels[index])
            previous = index
        return "".join(text).strip()

    def transcribe(self, audio, decoder=None):
        probs = self.probabilities(self.features(audio))
        return decoder.decode(probs).strip() if decoder is not None else self.greedy_decode(probs)


def hot_words(text):
    """'kitchen:2.5,garage:-1' -> {'kitchen': 2.5, 'garage': -1.0}"""
    found = {}
    for item in filter(None, (part.strip() for part in (text or "").split(","))):
        word, _, boost = item.rpartition(":")
        try:
            found[word] = float(boost)
        except ValueError:
            word = ""
        if not word:
            raise UserError("--hot-words item '{}' must be WORD:BOOST, e.g. kitchen:2.5 (a negative boost discourages the word)."
                            .format(item))
    return found


def make_decoder(labels, scorer_path=None, beam_width=None, alpha=None, beta=None, hot=None):
    """None (greedy decoding) unless a scorer, a beam width or hot words ask for the beam search."""
    if scorer_path is None and beam_width is None:
        if hot:
            raise UserError("--hot-words need a scorer: pass --scorer too.")
        return None
    from . import beam_search
    scorer = beam_search.Scorer(scorer_path, labels, alpha, beta) if scorer_path else None
    if scorer is None and (hot or alpha is not None or beta is not None):
        raise UserError("--alpha, --beta and --hot-words need a scorer: pass --scorer too.")
    return beam_search.Decoder(labels, beam_width or DEFAULT_BEAM_WIDTH, scorer, hot_words=hot)


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


def main(argv=None):
    parser = argparse.ArgumentParser(prog="playbook transcribe", description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", metavar="FILE", help="16 kHz mono 16-bit WAV files")
    parser.add_argument("--model", required=True, help="path to output_graph.tflite")
    parser.add_argument("--alphabet", help="alphabet.txt (default: the one embedded in the model)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per file")
    parser.add_argument("--scorer", help="a .scorer package: beam search with its language model and vocabulary")
    parser.add_argument("--beam-width", dest="beam_width", type=int,
                        help="beam width (default with --scorer: {}; without either: greedy decoding)".format(DEFAULT_BEAM_WIDTH))
    parser.add_argument("--alpha", type=float, help="language model weight (default: the scorer's own)")
    parser.add_argument("--beta", type=float, help="word insertion bonus (default: the scorer's own)")
    parser.add_argument("--hot-words", dest="hot_words", metavar="WORD:BOOST,...",
                        help="boost (or, negative, discourage) words, e.g. kitchen:2.5,garage:1")
    parser.add_argument("--probs-out", dest="probs_out", metavar="DIR",
                        help="also save each file's per-frame probabilities as DIR/<file stem>.npy")
    args = parser.parse_args(argv)
    try:
        # Check every input before the model loads, so a typo fails at once.
        clips = [(path,) + read_wav(path) for path in args.files]
        model = TfliteModel(args.model, args.alphabet)
        decoder = make_decoder(model.labels, args.scorer, args.beam_width, args.alpha, args.beta, hot_words(args.hot_words))
        for path, audio, rate in clips:
            if rate != model.sample_rate:
                raise UserError("{} is sampled at {} Hz; the model needs {} Hz: sox '{}' -r {} -c 1 -b 16 out.wav".format(
                    path, rate, model.sample_rate, path, model.sample_rate))
            started = time.perf_counter()
            probs = model.probabilities(model.features(audio))
            inferred = time.perf_counter()
            if args.probs_out:
                Path(args.probs_out).mkdir(parents=True, exist_ok=True)
                np.save(str(Path(args.probs_out) / (Path(path).stem + ".npy")), probs)
            text = decoder.decode(probs).strip() if decoder is not None else model.greedy_decode(probs)
            decoded = time.perf_counter()
            if args.json:
                print(json.dumps({"file": str(path), "transcript": text, "audio_seconds": round(len(audio) / rate, 3),
                                  "inference_seconds": round(inferred - started, 4),
                                  "decode_seconds": round(decoded - inferred, 4),
                                  "decoder": "greedy" if decoder is None else "beam {}{}".format(
                                      decoder.beam_width, " + scorer" if decoder.scorer else "")}), flush=True)
            else:
                print(text, flush=True)
    except UserError as error:
        print("error: {}".format(error), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
