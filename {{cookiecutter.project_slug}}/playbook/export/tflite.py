"""Exporting a run's checkpoint to TFLite, with its alphabet and a model card.

Exports go to EXPORTS/<run>/<checkpoint>[-float]/ (or a new folder given with --to) and are
never overwritten: the engine writes into <folder>.partial, which is renamed when complete.
"""
import json
import shutil
import subprocess
from pathlib import Path

from .. import config as configuration
from .. import engines
from .. import settings, storage
from ..errors import UserError
from ..training import runs
from ..training.process import run_engine
from . import device


def export(name, checkpoint="best", command_line="", quantize=None, to=None):
    """TFLite model of a checkpoint, with its alphabet and a model card, in EXPORTS/<run>/<checkpoint>[-float]/
    (or the new folder `to`)."""
    run, config = runs.load_run(name)
    quantize = config["export_quantize"] if quantize is None else quantize
    load_dir, method, loaded = runs.stage_checkpoint(run, checkpoint)
    try:
        # An engine that cannot write a float model says so before anything is written.
        engine = engines.current()
        flags = engine.export_flags(config, checkpoint_dir=load_dir, load=method, alphabet=run / "alphabet.txt",
                                    export_dir=None, quantize=quantize)
        target = Path(to) if to else settings.EXPORTS / name / (loaded.replace("/", "-") + ("" if quantize else "-float"))
        if target.exists():
            raise UserError("{} already exists{}; it is kept as it is (remove it yourself to export again{}).".format(
                target, "" if to else " and holds an export of this checkpoint", "" if to else ", or pass --to DIR"))
        with storage.building(target) as partial:
            flags["export_dir"] = partial
            run_engine("export", flags, run, command_line, config)
            model = partial / "output_graph.tflite"
            if not model.is_file():
                raise UserError("the engine finished but wrote no {}; its messages are above.".format(model.name))
            shutil.copy(str(run / "alphabet.txt"), str(partial / "alphabet.txt"))
            (partial / "export.json").write_text(json.dumps({"run": name, "checkpoint": loaded, "engine": engine.describe(),
                                                             "n_hidden": config["n_hidden"],
                                                             "quantized": quantize, "exported": runs.now()}, indent=2) + "\n")
            _write_model_card(run, config, loaded, partial)
    finally:
        runs.unstage(load_dir)
    return {"run": name, "checkpoint": loaded, "model": str(target / "output_graph.tflite"), "quantized": quantize,
            "model_bytes": (target / "output_graph.tflite").stat().st_size, "step": int(loaded.rsplit("-", 1)[1]),
            "model_card": str(target / "MODEL_CARD.md")}


def _write_model_card(run, config, checkpoint, folder):
    """MODEL_CARD.md and model_card.json: what the model is (read from the file by the device runtime),
    where it came from, and how well its checkpoint did."""
    described = subprocess.run(device.command(folder / "output_graph.tflite", "--describe"), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, universal_newlines=True)
    if described.returncode != 0:
        raise UserError("the device runtime could not read the exported model: {}".format(described.stderr.strip()[-500:]))
    model = json.loads([line for line in described.stdout.splitlines() if line.startswith("{")][-1])
    evaluations = sorted((run / "evaluations").glob("{}-*-no-scorer.json".format(checkpoint)), key=lambda p: p.stat().st_mtime)
    evaluation = json.loads(evaluations[-1].read_text()) if evaluations else None
    history = runs.epochs(run)
    card = {"model": dict(model, model=str(folder.with_name(folder.name.replace(".partial", "")) / "output_graph.tflite")),
            "metadata": {key[len("export_"):]: config[key] for key in configuration.KEYS
                         if key.startswith("export_") and key != "export_quantize"},
            "training": {"run": run.name, "checkpoint": checkpoint, "engine": runs.engine_of(run),
                         "dataset": runs.meta(run).get("dataset"), "epochs": len(history),
                         "best_dev_loss": min((e["dev_loss"] for e in history if "dev_loss" in e), default=None),
                         "n_hidden": config["n_hidden"], "learning_rate": config["learning_rate"],
                         "dropout_rate": config["dropout_rate"], "augment": config["augment"]},
            "evaluation": None if evaluation is None else {key: evaluation[key] for key in ("test_set", "samples", "wer", "cer")}}
    (folder / "model_card.json").write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n")
    m, t = card["model"], card["training"]
    lines = ["# {} {}".format(card["metadata"]["model_name"], card["metadata"]["model_version"]), "",
             "A DeepSpeech-family speech-to-text model ({}), exported to TFLite from run `{}`, checkpoint `{}`.".format(
                 card["metadata"]["language"], t["run"], checkpoint), "",
             "| | |", "|---|---|",
             "| file | `output_graph.tflite`, {:,} bytes, {} |".format(m["bytes"], "dynamic-range quantised (int8 weights)"
                                                                       if m["quantized"] else "float32"),
             "| author | {} |".format(card["metadata"]["author_id"]),
             "| width | n_hidden {} |".format(m["n_hidden"]),
             "| audio | {} Hz, mono, 16-bit |".format(m["sample_rate"]),
             "| features | {} MFCCs per {} ms window, every {} ms; {} frames of context each side |".format(
                 m["mfcc_features"], m["feature_window_ms"], m["feature_step_ms"], m["context_frames"]),
             "| alphabet | {} labels: `{}` (`alphabet.txt`) |".format(len(m["labels"]), "".join(m["labels"])),
             "| trained | {} epochs on `{}`, best dev loss {} ({}) |".format(t["epochs"], t["dataset"], t["best_dev_loss"],
                                                                          t["engine"]),
             "| evaluated | {} |".format("not yet: `playbook evaluate --run {} --checkpoint {}`".format(t["run"], checkpoint)
                                          if evaluation is None else "WER {}, CER {} on {} samples of `{}` (no scorer)".format(
                                              evaluation["wer"], evaluation["cer"], evaluation["samples"], evaluation["test_set"])),
             "", "Run it with the device runtime (`stt_device/`, no TensorFlow):", "",
             "```sh", "python -m stt_device --model output_graph.tflite [--scorer kenlm.scorer] audio.wav", "```", ""]
    (folder / "MODEL_CARD.md").write_text("\n".join(lines), encoding="utf-8")


def latest_export(name):
    exports = sorted((settings.EXPORTS / name).glob("*/output_graph.tflite"), key=lambda p: p.stat().st_mtime)
    if not exports:
        raise UserError("run '{}' has no export in {}; run `make export RUN={}` first.".format(name, settings.EXPORTS / name, name))
    return exports[-1]
