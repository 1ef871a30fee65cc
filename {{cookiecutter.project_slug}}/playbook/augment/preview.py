"""Hear and see augmentations before training with them: `playbook augment-preview`.

Runs in the engine's interpreter and uses the engine's own code: its spec parser, its
sample-domain pipeline (`apply_sample_augmentations`, the one training uses) and, for the
graph augmentations, its feature pipeline (`audio_to_features` in training mode) under
TensorFlow 1.15. For each augmentation alone, on a few files:

  <out>/original/<n>.wav              the files as they are
  <out>/<k>-<name>/<n>.wav            sample-domain augmentations: the augmented audio
  <out>/<k>-<name>/<n>.png            before/after: the spectrogram (sample, signal and
                                      spectrogram domains) or the MFCC features (features)
  <out>/index.html                    all of it on one page
  <out>/preview.json                  what changed, per augmentation and file
"""
import copy
import html
import json
import random
import shutil
import tempfile
from pathlib import Path

import numpy as np

from .. import settings, storage
from . import specs as augment
from ..errors import UserError


def _with_p_one(name, values):
    values = dict(values, p="1.0")
    return "{}[{}]".format(name, ",".join("{}={}".format(k, v) for k, v in values.items()))


def _write_wav(path, audio):
    import soundfile
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(str(path), np.clip(audio.reshape(-1), -1.0, 1.0), settings.SAMPLE_RATE, subtype="PCM_16")


def _png(path, title, before, after, kind):
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import pyplot
    figure, axes = pyplot.subplots(2, 1, figsize=(8, 5), sharex=(kind == "spectrogram"))
    for axis, data, label in ((axes[0], before, "before"), (axes[1], after, "after")):
        if kind == "spectrogram":
            axis.specgram(data.reshape(-1), NFFT=512, Fs=settings.SAMPLE_RATE, noverlap=192, cmap="magma", vmin=-140)
            axis.set_ylabel("Hz")
        elif kind == "power":
            axis.imshow(10 * np.log10(data.T + 1e-10), origin="lower", aspect="auto", cmap="magma", vmin=-60,
                        extent=(0, data.shape[0], 0, settings.SAMPLE_RATE / 2))
            axis.set_ylabel("Hz")
        else:
            # Each coefficient scaled by its spread before augmentation, so that every row is visible.
            mean, spread = before.mean(axis=0), before.std(axis=0) + 1e-6
            axis.imshow(((data - mean) / spread).T, origin="lower", aspect="auto", cmap="magma", vmin=-3, vmax=3,
                        interpolation="nearest")
            axis.set_ylabel("MFCC")
        axis.set_title(label, fontsize=9, loc="left")
    axes[1].set_xlabel("seconds" if kind == "spectrogram" else "frames (20 ms)")
    figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    figure.savefig(str(path), dpi=80)
    pyplot.close(figure)


def _difference(before, after):
    if before.shape != after.shape:
        return None  # a different length (tempo, for example) is a change too
    return float(np.max(np.abs(before.astype(np.float64) - after.astype(np.float64)))) if before.size else 0.0


def preview(specs, csv_path, files=3, name=None, clock=0.5, as_in_training=False, seed=1):
    from .. import engines
    engines.current().require("augment-preview")
    from coqui_stt_training.util.audio import AUDIO_TYPE_NP
    from coqui_stt_training.util.augmentations import SampleAugmentation, apply_sample_augmentations, parse_augmentation
    from coqui_stt_training.util.config import initialize_globals_from_args
    from coqui_stt_training.util.sample_collections import samples_from_source, unpack_maybe

    csv_path = Path(csv_path)
    if not csv_path.is_file():
        raise UserError("{}: no such CSV; make the sample with `make sample` or pass --csv.".format(csv_path))
    for source in augment.sources(specs):
        if not Path(source).is_file():
            raise UserError("the overlay source {} does not exist; make it with `playbook noise`.".format(source))
    target = settings.PREVIEWS / (name or "preview")
    if target.exists():
        raise UserError("{} already exists and is kept as it is; pass another --name.".format(target))
    with storage.building(target) as partial:

        alphabet = csv_path.parent / "alphabet.txt"
        scratch = tempfile.mkdtemp(prefix="augment-preview-")
        initialize_globals_from_args(alphabet_config_path=str(alphabet if alphabet.is_file() else settings.SAMPLE_DATASET / "alphabet.txt"),
                                     checkpoint_dir=scratch)
        originals = []
        for sample in samples_from_source(str(csv_path)):
            sample = unpack_maybe(sample)
            sample.change_audio_type(new_audio_type=AUDIO_TYPE_NP)
            originals.append(sample)
            if len(originals) == files:
                break
        if not originals:
            raise UserError("{} holds no samples.".format(csv_path))
        for number, sample in enumerate(originals):
            _write_wav(partial / "original" / "{}.wav".format(number), sample.audio)

        report = {"csv": str(csv_path), "files": [getattr(s, "sample_id", str(n)) for n, s in enumerate(originals)],
                  "clock": clock, "probabilities": "as in training" if as_in_training else "p=1: every file gets each augmentation",
                  "augmentations": []}
        for index, spec in enumerate(specs, 1):
            kind, values = augment.parse(spec)
            applied = spec if as_in_training else _with_p_one(kind, values)
            augmentation = parse_augmentation(applied)
            folder = partial / "{}-{}".format(index, kind)
            folder.mkdir()
            domain = values.get("domain", augment.AUGMENTATIONS[kind][0])
            entry = {"spec": spec, "applied": applied, "domain": domain, "folder": folder.name, "changed": [],
                     "max_difference": []}
            if isinstance(augmentation, SampleAugmentation):
                random.seed(seed)
                np.random.seed(seed)
                augmented = list(apply_sample_augmentations(copy.deepcopy(originals), [augmentation], audio_type=AUDIO_TYPE_NP,
                                                            process_ahead=0, clock=clock))
                for number, (before, after) in enumerate(zip(originals, augmented)):
                    _write_wav(folder / "{}.wav".format(number), after.audio)
                    _png(folder / "{}.png".format(number), applied, before.audio, after.audio, "spectrogram")
                    difference = _difference(before.audio, after.audio)
                    entry["changed"].append(difference is None or difference > 0)
                    entry["max_difference"].append(difference)
            else:
                for number, sample in enumerate(originals):
                    power_before, power_after, before, after = _graph_stages(sample.audio, augmentation, clock, seed)
                    if entry["domain"] == "features":
                        _png(folder / "{}.png".format(number), applied, before, after, "features")
                    else:
                        _png(folder / "{}.png".format(number), applied, power_before, power_after, "power")
                    difference = _difference(before, after)  # of the features: what the model gets
                    entry["changed"].append(difference is None or difference > 0)
                    entry["max_difference"].append(difference)
            report["augmentations"].append(entry)
        shutil.rmtree(scratch, ignore_errors=True)
        (partial / "preview.json").write_text(json.dumps(report, indent=2) + "\n")
        (partial / "index.html").write_text(_index(report, len(originals)))
    report.update(out=str(target), index=str(target / "index.html"))
    return report


def _graph_stages(audio, augmentation, clock, seed):
    """The engine's feature pipeline run plainly and in training mode with the augmentation: the power
    spectrogram (after the signal and spectrogram stages) and the MFCC features the model sees."""
    import tensorflow.compat.v1 as tf
    from coqui_stt_training.util.augmentations import apply_graph_augmentations
    from coqui_stt_training.util.config import Config
    from coqui_stt_training.util.feeding import audio_to_features
    from tensorflow.python.ops import gen_audio_ops
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(seed)
        samples = tf.placeholder(tf.float32, [None, 1])
        # As in training, the clock is a float64 tensor (the probability draw is seeded from it).
        clock = tf.constant(clock, tf.float64)

        def spectrogram(signal, augmentations):
            signal = apply_graph_augmentations("signal", signal, augmentations, clock=clock)
            power = gen_audio_ops.audio_spectrogram(signal, window_size=Config.audio_window_samples,
                                                    stride=Config.audio_step_samples, magnitude_squared=True)
            return apply_graph_augmentations("spectrogram", power, augmentations, clock=clock)[0]

        fetches = [spectrogram(samples, []), spectrogram(samples, [augmentation]),
                   audio_to_features(samples, settings.SAMPLE_RATE)[0],
                   audio_to_features(samples, settings.SAMPLE_RATE, clock=clock, train_phase=True,
                                     augmentations=[augmentation], sample_id="preview")[0]]
        with tf.Session(graph=graph) as session:
            return session.run(fetches, {samples: audio.reshape(-1, 1)})


def _index(report, files):
    rows = ["<!doctype html><meta charset='utf-8'><title>Augmentation preview</title>",
            "<style>body{font-family:sans-serif;max-width:1100px;margin:auto}td{vertical-align:top;padding:4px}"
            "img{width:420px}code{background:#eee}</style>",
            "<h1>Augmentation preview</h1><p>{} files of <code>{}</code>; clock {} (0 = start of training, 1 = end); {}.</p>".format(
                files, html.escape(report["csv"]), report["clock"], html.escape(report["probabilities"])),
            "<h2>Original</h2><p>" + " ".join("<audio controls src='original/{}.wav'></audio>".format(n) for n in range(files)) + "</p>"]
    for entry in report["augmentations"]:
        rows.append("<h2><code>{}</code> <small>({} domain)</small></h2><table><tr>".format(
            html.escape(entry["spec"]), entry["domain"]))
        for number in range(files):
            audio = ("<br><audio controls src='{}/{}.wav'></audio>".format(entry["folder"], number)
                     if entry["domain"] == "sample" else "")
            rows.append("<td><img src='{}/{}.png' alt='before and after'>{}<br>{}</td>".format(
                entry["folder"], number, audio, "changed" if entry["changed"][number] else "unchanged"))
        rows.append("</tr></table>")
    return "\n".join(rows) + "\n"
