"""Released checkpoints as starting points: `playbook import-checkpoint DIR --name NAME`.

DeepSpeech 0.9.3 and Coqui STT 1.x release their checkpoints as a folder: a state file
(`checkpoint`, sometimes `best_dev_checkpoint`) naming e.g. `best_dev-1466475`, that
checkpoint's `.index`, `.data-00000-of-00001` and `.meta`, `flags.txt` (absl flag lines from
DeepSpeech, JSON from Coqui STT) and `alphabet.txt`. What it is comes from its own variables,
read with TensorFlow's checkpoint reader (no graph is built, nothing is trained):
  n_hidden      layer_1/weights is [494, n_hidden]
  CuDNN         a CuDNN-trained LSTM leaves its optimiser slots on cudnn_lstm/opaque_kernel
  output size   layer_6/weights is [n_hidden, labels + 1] (the CTC blank is the last output)
  graph         the variable names of the engines' graph version 6 (both engines write them)
The import becomes a read-only run (kind "imported") that finetune, transfer, evaluate and
export take like any other; its files are hard-linked (copied across file systems).
"""
import json
import re
import shutil
from pathlib import Path

from .. import config as configuration
from .. import storage
from ..errors import UserError
from . import runs

GRAPH_VERSION = 6
N_INPUT = 26 + 2 * 26 * 9  # 26 MFCCs with 9 frames of context each side
# The variables of graph version 6 (both engines); `layer_1/weights` etc. with /Adam and /Adam_1 slots.
LSTM = "cudnn_lstm/rnn/multi_rnn_cell/cell_0/cudnn_compatible_lstm_cell"
REQUIRED = ["layer_1/weights", "layer_1/bias", "layer_2/weights", "layer_2/bias", "layer_3/weights", "layer_3/bias",
            LSTM + "/kernel", LSTM + "/bias", "layer_5/weights", "layer_5/bias", "layer_6/weights", "layer_6/bias",
            "global_step"]
CUDNN_SLOT = "cudnn_lstm/opaque_kernel"
STATE_FILES = ("best_dev_checkpoint", "checkpoint")
SUFFIXES = (".index", ".data-00000-of-00001", ".meta")


def _checkpoint_in(folder):
    """The checkpoint a state file in FOLDER names (best-dev first), or the newest *.index; its name."""
    for state in STATE_FILES:
        name = runs.checkpoint_name(folder, state)
        if name and (folder / (name + ".index")).is_file():
            return name
    indexes = sorted(folder.glob("*.index"), key=lambda p: p.stat().st_mtime)
    if not indexes:
        raise UserError("{} holds no checkpoint (no *.index file); point it at the folder that holds "
                        "best_dev-N.index, .data-00000-of-00001 and .meta.".format(folder))
    return indexes[-1].name[:-len(".index")]


def read_flags(path):
    """(engine that wrote it, {flag: value}) from a checkpoint folder's flags.txt; (None, {}) without one."""
    if not path.is_file():
        return None, {}
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        return "coqui-stt-training", json.loads(text)
    except ValueError:
        flags = {}
        for line in text.splitlines():
            match = re.match(r"^--(no)?([A-Za-z0-9_]+)(?:=(.*))?$", line.strip())
            if match:
                flags[match.group(2)] = "false" if match.group(1) else (match.group(3) if match.group(3) is not None else "true")
        return "deepspeech-training", flags


def variables(prefix):
    """{name: shape} of the checkpoint at PREFIX (TensorFlow's reader: the .index file, no graph)."""
    import tensorflow.compat.v1 as tfv1
    try:
        return {name: list(shape) for name, shape in tfv1.train.NewCheckpointReader(str(prefix)).get_variable_to_shape_map().items()}
    except Exception as error:  # TensorFlow's DataLossError and friends: one sentence
        raise UserError("{}.index could not be read as a TensorFlow checkpoint ({}); the download may be "
                        "incomplete.".format(prefix, str(error).splitlines()[0][:200]))


def inspect(folder, alphabet=None):
    """What the checkpoint in FOLDER is; refuses one that cannot be used, naming why."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError("{} is not a folder; unpack the release archive (tar -xzf ...) and pass its folder.".format(folder))
    name = _checkpoint_in(folder)
    missing = [name + suffix for suffix in SUFFIXES if not (folder / (name + suffix)).is_file()]
    if missing:
        raise UserError("{} lacks {} of checkpoint {}; unpack the whole release archive.".format(folder, ", ".join(missing), name))
    alphabet = Path(alphabet) if alphabet else folder / "alphabet.txt"
    if not alphabet.is_file():
        raise UserError("{} is missing: pass the alphabet the checkpoint was trained with (--alphabet FILE).".format(alphabet))
    labels = runs.labels(alphabet)
    shapes = variables(folder / name)
    absent = [variable for variable in REQUIRED if variable not in shapes]
    if absent:
        raise UserError("checkpoint {} is not a DeepSpeech-family checkpoint of graph version {}: it lacks {}.".format(
            name, GRAPH_VERSION, ", ".join(absent[:3])))
    n_input, n_hidden = shapes["layer_1/weights"]
    outputs = shapes["layer_6/weights"][1]
    if n_input != N_INPUT:
        raise UserError("checkpoint {} takes {} input features per frame, not the {} (26 MFCCs, 9 frames of context) both "
                        "engines feed it.".format(name, n_input, N_INPUT))
    if outputs != len(labels) + 1:
        raise UserError("checkpoint {} has {} outputs, but {} has {} labels (+1 for the CTC blank = {}): pass the alphabet it "
                        "was trained with (--alphabet FILE).".format(name, outputs, alphabet, len(labels), len(labels) + 1))
    engine, flags = read_flags(folder / "flags.txt")
    if flags.get("n_hidden") not in (None, "", n_hidden) and str(flags.get("n_hidden")) != str(n_hidden):
        print("note: flags.txt says n_hidden {}, the checkpoint's variables {}; the variables win.".format(
            flags["n_hidden"], n_hidden), flush=True)
    return {"folder": str(folder), "checkpoint": name, "step": int(name.rsplit("-", 1)[1]) if "-" in name else None,
            "n_hidden": n_hidden, "cudnn": any(v.startswith(CUDNN_SLOT) for v in shapes),
            "outputs": outputs, "labels": len(labels), "alphabet_matches": True, "alphabet": str(alphabet),
            "optimizer_slots": any(v.endswith("/Adam") for v in shapes), "graph_version": GRAPH_VERSION,
            "written_by": engine or "unknown (no flags.txt)", "variables": len(shapes),
            "parameters": sum(_size(shape) for v, shape in shapes.items() if not v.endswith(("/Adam", "/Adam_1"))
                              and not v.startswith(CUDNN_SLOT) and v not in ("global_step", "learning_rate",
                                                                             "beta1_power", "beta2_power")),
            "bytes": sum((folder / (name + suffix)).stat().st_size for suffix in SUFFIXES)}


def _size(shape):
    size = 1
    for dimension in shape:
        size *= dimension
    return size


def import_checkpoint(folder, name, alphabet=None, command_line=""):
    """Register the released checkpoint in FOLDER as the read-only run NAME."""
    run = runs.run_dir(name)
    if run.exists():
        raise UserError("run '{}' already exists in {}; pick another --name.".format(name, run))
    info = inspect(folder, alphabet)
    source = Path(info["folder"])
    with storage.building(run, hidden=True) as partial:
        (partial / "checkpoints").mkdir()
        for suffix in SUFFIXES:
            runs.link(source / (info["checkpoint"] + suffix), partial / "checkpoints" / (info["checkpoint"] + suffix))
        # The release's state files name the checkpoint by a path on the machine that trained it.
        for state in STATE_FILES:
            (partial / "checkpoints" / state).write_text('model_checkpoint_path: "{0}"\nall_model_checkpoint_paths: "{0}"\n'.format(
                info["checkpoint"]))
        if (source / "flags.txt").is_file():
            shutil.copy(str(source / "flags.txt"), str(partial / "checkpoints" / "flags.txt"))
        shutil.copy(info["alphabet"], str(partial / "alphabet.txt"))
        config = configuration.resolve(overrides=["n_hidden={}".format(info["n_hidden"])])
        (partial / "config.toml").write_text(configuration.to_toml(config))
        record = {"run": name, "kind": "imported", "created": runs.now(), "dataset": None, "engine": info["written_by"],
                  "cudnn": info["cudnn"], "source": {"folder": info["folder"], "checkpoint": info["checkpoint"]},
                  "checkpoint": {key: info[key] for key in ("n_hidden", "outputs", "labels", "graph_version", "parameters",
                                                            "optimizer_slots", "step")}}
        (partial / "run.json").write_text(json.dumps(record, indent=2) + "\n")
    return dict(info, run=name, run_folder=str(run))
