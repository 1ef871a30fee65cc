"""A checkpoint shaped as DeepSpeech's 0.9.3 release (n_hidden 2048, CuDNN, 29 outputs), made from a small trained
one: its weights embedded in the 2048-wide layers with zeros around them. A zero-padded unit contributes
nothing (its dense layers output relu(0) = 0; its LSTM cell and output stay 0), so the wide checkpoint computes
exactly what the small one does, at the release's size and cost. The release itself (1.1 GB, GitHub) is out of
reach offline; tests/container/test_release_checkpoint.py imports, fine-tunes and exports this, and the speed
benchmarks time it as a 2048-wide model that writes real text."""
WIDTH = 2048
STEP = 1466475  # the step of the 0.9.3 release's best_dev checkpoint

MAKE_RELEASE_SHAPED = r"""
import sys
import numpy as np
import tensorflow.compat.v1 as tf

source, out, H = sys.argv[1], sys.argv[2], int(sys.argv[3])
reader = tf.train.NewCheckpointReader(source)
old = {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()}
h = old["layer_1/weights"].shape[1]
outputs = old["layer_6/weights"].shape[1]
LSTM = "cudnn_lstm/rnn/multi_rnn_cell/cell_0/cudnn_compatible_lstm_cell"

def pad(value, shape):
    padded = np.zeros(shape, np.float32)
    padded[tuple(slice(0, n) for n in value.shape)] = value
    return padded

new = {"layer_1/weights": pad(old["layer_1/weights"], (494, H)), "layer_1/bias": pad(old["layer_1/bias"], (H,)),
       "layer_6/weights": pad(old["layer_6/weights"], (H, outputs)), "layer_6/bias": old["layer_6/bias"]}
for layer in ("layer_2", "layer_3", "layer_5"):
    new[layer + "/weights"] = pad(old[layer + "/weights"], (H, H))
    new[layer + "/bias"] = pad(old[layer + "/bias"], (H,))
# LSTM kernel [input + hidden, 4 gates x hidden]: each gate's block and the input/recurrent halves move apart.
kernel, bias = np.zeros((2 * H, 4 * H), np.float32), np.zeros((4 * H,), np.float32)
for gate in range(4):
    columns, old_columns = slice(gate * H, gate * H + h), slice(gate * h, (gate + 1) * h)
    kernel[0:h, columns] = old[LSTM + "/kernel"][0:h, old_columns]
    kernel[H:H + h, columns] = old[LSTM + "/kernel"][h:2 * h, old_columns]
    bias[columns] = old[LSTM + "/bias"][old_columns]
new[LSTM + "/kernel"], new[LSTM + "/bias"] = kernel, bias
for name in [n for n in new if not n.startswith("cudnn_lstm/")]:
    new[name + "/Adam"] = np.zeros_like(new[name])
    new[name + "/Adam_1"] = np.zeros_like(new[name])
opaque = 4 * (H * H + H * H) + 8 * H
new["cudnn_lstm/opaque_kernel/Adam"] = np.zeros((opaque,), np.float32)
new["cudnn_lstm/opaque_kernel/Adam_1"] = np.zeros((opaque,), np.float32)
new["global_step"] = np.int64(%(step)d)
new["learning_rate"] = np.float32(0.0001)
new["beta1_power"], new["beta2_power"] = np.float32(0.9 ** 20), np.float32(0.999 ** 20)

graph = tf.Graph()
with graph.as_default():
    # Zero initialisers and load(): the values stay out of the .meta graph.
    variables = {name: tf.get_variable(name, shape=np.shape(value), dtype=tf.as_dtype(np.asarray(value).dtype),
                                       initializer=tf.zeros_initializer()) for name, value in new.items()}
    with tf.Session() as session:
        session.run(tf.global_variables_initializer())
        for name, variable in variables.items():
            variable.load(new[name], session)
        tf.train.Saver(variables).save(session, out + "/best_dev-%(step)d")
print(len(new), "variables saved")
""" % {"step": STEP}

# What the release archive holds besides the checkpoint: a state file naming it by a path on the machine
# that trained it, and absl flag lines.
RELEASE_FILES = r"""
set -e
cd "$1"
printf 'model_checkpoint_path: "/home/deepspeech/checkpoints/best_dev-%(step)d"\nall_model_checkpoint_paths: "/home/deepspeech/checkpoints/best_dev-%(step)d"\n' > checkpoint
printf -- '--n_hidden=2048\n--train_cudnn=true\n--learning_rate=0.0001\n--dropout_rate=0.4\n--alphabet_config_path=data/alphabet.txt\n' > flags.txt
cp /data/datasets/sample/alphabet.txt alphabet.txt
""" % {"step": STEP}


def make(box, checkpoint: str, folder: str, width: int = WIDTH) -> str:
    """The release-shaped checkpoint of CHECKPOINT (a path on BOX's data volume, without its suffixes) in FOLDER, with
    the release's state file and flags; run in the engine's interpreter (TensorFlow 1.15). Returns the script's
    output."""
    box.run(["mkdir", "-p", folder], "mkdir", stream=False)
    made = box.run(["python", "-c", MAKE_RELEASE_SHAPED, checkpoint, folder, str(width)], "make release-shaped", stream=False)
    box.run(["bash", "-c", RELEASE_FILES, "release", folder], "release files", stream=False)
    return made

