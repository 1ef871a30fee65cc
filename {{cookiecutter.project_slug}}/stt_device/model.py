"""An exported DeepSpeech-family `.tflite` model on a TFLite interpreter.

This is the device path: it needs numpy and a TFLite interpreter
(`ai-edge-litert`, or `tflite-runtime`) and never TensorFlow. Features are
computed by the model's own MFCC subgraph (`input_samples` -> `mfccs`), as the
native client does, so they match training exactly. Without a scorer the text is
the greedy (best path) decoding; with --scorer, a beam search constrained and
scored by the scorer package (stt_device.beam_search).
"""
import functools
import importlib
import struct
from pathlib import Path

import numpy as np

from . import alphabet
from .errors import UserError
from .features import Mfcc


BLANK_IS_LAST = True  # CTC blank is the extra class after the alphabet's labels.
# Interpreter threads: what Coqui's native client uses (libstt's TFLite model state asks for 4), so
# that the two are timed alike; on 2 cores, 4 threads were no slower than 2.
NUM_THREADS = 4


def load_interpreter_class(xnnpack=False):
    """ai-edge-litert's Interpreter (tflite-runtime's where it is missing): TFLite's own kernels, or with
    `xnnpack` its XNNPACK delegate.

    TFLite's own kernels compute what TensorFlow's TFLite and the engine's native client compute (within
    1e-5), so they are the default. XNNPACK runs a dynamic-range quantised model about twice as fast at
    n_hidden 2048, but it quantises the activations its own way: on sample models about 0.8% of frames change
    their most likely label and one file in eight its greedy text against TFLite's kernels, though it lands
    nearer the float model than they do (docs/tflite.md, "Faster, not identical").
    """
    for module in ("ai_edge_litert.interpreter", "tflite_runtime.interpreter"):
        try:
            runtime = importlib.import_module(module)
        except ImportError:
            continue
        resolver = runtime.OpResolverType.AUTO if xnnpack else runtime.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
        return functools.partial(runtime.Interpreter, experimental_op_resolver_type=resolver)
    raise UserError("no TFLite runtime found: pip install -r requirements.device.txt (ai-edge-litert and numpy<2).")


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
    def __init__(self, model_path, alphabet_path=None, num_threads=NUM_THREADS, interpreter_class=None, xnnpack=False):
        model_path = self.path = Path(model_path)
        if not model_path.is_file():
            raise UserError("{}: no such model file; run `make export` first or pass --model.".format(model_path))
        self.kernels = "xnnpack" if xnnpack else "tflite"
        Interpreter = interpreter_class or load_interpreter_class(xnnpack)
        try:
            try:
                self.interpreter = Interpreter(model_path=str(model_path), num_threads=num_threads)
            except TypeError:  # TensorFlow 1.15's tf.lite.Interpreter has no num_threads
                self.interpreter = Interpreter(model_path=str(model_path))
        except ValueError as error:
            # TFLite's message spans lines; one sentence keeps it on one.
            raise UserError("{} is not a TFLite model this runtime can load ({}); export one with `playbook export`.".format(
                model_path, " ".join(str(error).split())))
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
        self.mfcc = Mfcc(self.sample_rate, self.win_len, self.win_step, int(self.n_features))
        n_classes = self.outputs["logits"]["shape"][-1]
        if len(self.labels) + 1 != n_classes:
            raise UserError("alphabet has {} labels but {} has {} output classes; use the alphabet the model was trained with.".format(
                len(self.labels), model_path, n_classes))

    def describe(self):
        """What the model is: interface, feature settings, width, alphabet, weight types."""
        weights = sorted({str(np.dtype(detail["dtype"])) for detail in self.interpreter.get_tensor_details()})
        return {"model": str(self.path), "bytes": self.path.stat().st_size, "sample_rate": self.sample_rate,
                "feature_window_samples": self.win_len, "feature_step_samples": self.win_step,
                "feature_window_ms": round(1000.0 * self.win_len / self.sample_rate, 3),
                "feature_step_ms": round(1000.0 * self.win_step / self.sample_rate, 3),
                "mfcc_features": int(self.n_features), "context_frames": int(self.n_context),
                "frames_per_step": int(self.n_steps), "n_hidden": int(self.state_size),
                "labels": self.labels, "classes": len(self.labels) + 1,
                "quantized": "int8" in weights, "tensor_types": weights, "kernels": self.kernels}

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

    def _mfcc(self, window):
        """One MFCC frame of WIN_LEN samples, by the model's own feature subgraph."""
        self.interpreter.set_tensor(self.inputs["input_samples"]["index"], window)
        self.interpreter.invoke()
        return self.interpreter.get_tensor(self.outputs["mfccs"]["index"]).reshape(self.n_features).copy()

    def _acoustic(self, windows, state):
        """Class probabilities of up to n_steps context windows, and the LSTM state after them."""
        valid = len(windows)
        if valid < self.n_steps:
            windows = np.concatenate([windows, np.zeros((self.n_steps - valid,) + windows.shape[1:], dtype=np.float32)])
        self.interpreter.set_tensor(self.inputs["input_node"]["index"], windows[np.newaxis])
        self.interpreter.set_tensor(self.inputs["previous_state_c"]["index"], state[0])
        self.interpreter.set_tensor(self.inputs["previous_state_h"]["index"], state[1])
        self.interpreter.invoke()
        probs = self.interpreter.get_tensor(self.outputs["logits"]["index"]).reshape(self.n_steps, -1)[:valid].copy()
        return probs, (self.interpreter.get_tensor(self.outputs["new_state_c"]["index"]).copy(),
                       self.interpreter.get_tensor(self.outputs["new_state_h"]["index"]).copy())

    def stream(self, decoder=None):
        """A Stream: feed audio as it arrives, read the text so far, finish."""
        return Stream(self, decoder)

    def features(self, audio):
        """MFCC frames, one per full analysis window (stt_device.features)."""
        return self.mfcc.frames(audio)

    def features_by_subgraph(self, audio):
        """The same frames from the model's own feature subgraph: one whole-graph invoke per frame."""
        self._zero_inputs()
        frames = [self._mfcc(audio[start:start + self.win_len])
                  for start in range(0, len(audio) - self.win_len + 1, self.win_step)]
        return np.array(frames, dtype=np.float32).reshape(-1, self.n_features)

    def probabilities(self, features):
        """Per-frame class probabilities (the `logits` output is already softmaxed)."""
        stream = Stream(self)
        stream.add_features(features)
        return stream.close()

    def greedy_decode(self, probs):
        best = probs.argmax(axis=1)
        blank = len(self.labels)
        text, previous = [], None
        for index in best:
            if index != previous and index != blank:
                text.append(self.labels[index])
            previous = index
        return "".join(text).strip()

    def decode(self, probs, decoder=None):
        return decoder.decode(probs).strip() if decoder is not None else self.greedy_decode(probs)

    def transcribe(self, audio, decoder=None):
        return self.decode(self.probabilities(self.features(audio)), decoder)


class Stream:
    """Streaming transcription, as the DeepSpeech client's stream does it.

    feed() audio chunks of any size (mono float32 in [-1, 1) or int16 at the model's
    rate); intermediate() is the text of what the model has heard so far; finish()
    the final text. Features are computed as soon as a full window is in, and the
    acoustic model runs n_steps frames at a time once each has n_context frames of
    look-ahead, carrying its LSTM state, so the result is exactly that of
    transcribing the whole recording at once. The text lags the audio by about
    (n_steps + n_context) frames (0.5 s for the default export).
    """

    def __init__(self, model, decoder=None):
        self.model, self.decoder = model, decoder
        self._samples = np.zeros(0, dtype=np.float32)
        # Feature frames not yet consumed, starting with the n_context zero frames of the leading pad.
        self._frames = [np.zeros(model.n_features, dtype=np.float32)] * model.n_context
        self._windows = []
        self._probs = []
        self._state = (np.zeros((1, model.state_size), dtype=np.float32),) * 2
        self._closed = False
        # The beam search follows the probabilities as they come, so the text so far costs only the new frames.
        self._decoding = decoder.start() if decoder is not None else None
        model._zero_inputs()

    def feed(self, chunk):
        if self._closed:
            raise UserError("this stream is finished; start a new one with model.stream().")
        chunk = np.asarray(chunk)
        if chunk.dtype == np.int16:
            chunk = chunk.astype(np.float32) / 32768.0
        self._samples = np.concatenate([self._samples, chunk.astype(np.float32).reshape(-1)])
        model = self.model
        frames = model.features(self._samples)
        self._samples = self._samples[len(frames) * model.win_step:]
        self.add_features(frames)

    def add_features(self, frames):
        width = 2 * self.model.n_context + 1
        for frame in frames:
            self._frames.append(np.asarray(frame, dtype=np.float32))
            if len(self._frames) == width:
                self._windows.append(np.stack(self._frames))
                self._frames.pop(0)
            if len(self._windows) == self.model.n_steps:
                self._run()

    def _run(self):
        if self._windows:
            probs, self._state = self.model._acoustic(np.stack(self._windows), self._state)
            self._probs.append(probs)
            self._windows = []
            if self._decoding is not None:
                self._decoding.next(probs)

    def probabilities(self):
        if not self._probs:
            return np.zeros((0, len(self.model.labels) + 1), dtype=np.float32)
        return np.concatenate(self._probs)

    def intermediate(self):
        if self._decoding is not None:
            return self._decoding.best().strip()
        return self.model.decode(self.probabilities(), None)

    def close(self):
        """Run the frames still waiting for look-ahead (with the trailing zero pad); the probabilities."""
        if not self._closed:
            pending = len(self._frames) - self.model.n_context  # real frames without a window yet
            self.add_features([np.zeros(self.model.n_features, dtype=np.float32)] * self.model.n_context
                              if pending > 0 else [])
            self._run()
            self._closed = True
        return self.probabilities()

    def finish(self):
        self.close()
        return self.intermediate()
