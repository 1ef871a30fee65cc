"""Where things live and the defaults every command starts from.

This module is imported by both interpreters in the container (the engine's
CPython 3.7 and the device runtime's CPython 3.11), so it uses only the
standard library and syntax both understand.
"""
import os
import sys
from pathlib import Path

# Everything a user makes lives on the data volume, never in the image or the
# workspace: datasets, runs (checkpoints, summaries, flags), exports, caches.
DATA_ROOT = Path(os.environ.get("PLAYBOOK_DATA", "/data"))
DATASETS = DATA_ROOT / "datasets"
RUNS = DATA_ROOT / "runs"
EXPORTS = DATA_ROOT / "exports"
SEARCHES = DATA_ROOT / "searches"
LMS = DATA_ROOT / "lm"
NOISE = DATA_ROOT / "noise"
PREVIEWS = DATA_ROOT / "previews"
CACHE = DATA_ROOT / "cache"
WEB = DATA_ROOT / "web"         # pages that transcribe in the browser (`playbook web-export`)
SHARDS = DATA_ROOT / "shards"   # datasets as WebDataset shards, to stream from a bucket (`playbook shards`)

SAMPLE_DATASET = DATASETS / "sample"

# The device runtime is a separate interpreter with ai-edge-litert and numpy
# only, so that transcription cannot import TensorFlow by accident.
DEVICE_PYTHON = os.environ.get("PLAYBOOK_DEVICE_PYTHON", "/opt/device/bin/python")

# TFLite export needs upstream TensorFlow 1.15.4; the GPU image keeps it in a
# separate CPython 3.7 venv because NVIDIA's TF1 has no tf.lite converter.
EXPORT_PYTHON = os.environ.get("PLAYBOOK_EXPORT_PYTHON", sys.executable)

SAMPLE_RATE = 16000

# Coqui's WebAssembly client, which the images fetch (docker/fetch-web-client.py) for `playbook web-export`.
WEB_CLIENT = Path(os.environ.get("PLAYBOOK_WEB_CLIENT", "/opt/stt-wasm"))


def gpu_visible():
    """Whether an NVIDIA GPU is passed into this container (its device nodes exist)."""
    return any(Path("/dev").glob("nvidia[0-9]*"))

# Project-wide settings every new run starts from (between the defaults and a run's --config).
PROJECT_CONFIG = Path(os.environ.get("PLAYBOOK_PROJECT_CONFIG", str(Path(__file__).resolve().parent.parent / "playbook.toml")))
