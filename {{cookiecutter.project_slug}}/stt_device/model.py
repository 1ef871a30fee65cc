"""An exported DeepSpeech-family `.tflite` model on a TFLite interpreter.

This is the device path: it needs numpy and a TFLite interpreter
(`tflite-runtime` or `ai-edge-litert`) and never TensorFlow. Features are
computed by the model's own MFCC subgraph (`input_samples` -> `mfccs`), as the
native client does, so they match training exactly. Without a scorer the text is
the greedy (best path) decoding; with --scorer, a beam search constrained and
scored by the scorer package (stt_device.beam_search).
"""
import struct
from pathlib import Path

import numpy as np

from . import alphabet
from .errors import UserError


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
