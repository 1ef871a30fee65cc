"""Real-time factor of the device runtime against the engine's TFLite paths, for two model widths.

    python bench/inference.py            (or: make bench-inference)

In the project's CPU container: the sample corpus; a 12-epoch n_hidden 192 run (the sample
model) and the same model in a checkpoint of the 0.9.3 release's shape (n_hidden 2048,
harness/release_shaped.py: the release's size and cost, the sample model's text); both exported
(quantised). Then, on the 20 dev and test files, seconds of model inference (features + acoustic
model, no decoding) per second of audio:

- device runtime: stt_device on ai-edge-litert 2.1.6 (TFLite's own kernels, the default), CPython 3.11,
  no TensorFlow;
- device runtime, `--xnnpack`: the same on LiteRT's XNNPACK delegate, with what it changes against
  TFLite's own kernels: frames whose most likely label differs, the largest probability difference,
  files whose greedy text differs;
- engine, TFLite in TensorFlow 1.15: the same driver code on tf.lite.Interpreter (CPython 3.7);
- engine, native client: Coqui STT 1.4.0's C++ client (TFLite 2.9), beam width 1 so that
  its decoding costs next to nothing; it cannot run the model without decoding.

Threads: the native client's TFLite always asks for 4 (libstt), and the device runtime uses the
same number (stt_device.model.NUM_THREADS); TensorFlow 1.15's interpreter has no such setting.
One run on this machine; the ratios are device runtime / other. Figures to reports/bench-inference.json.
"""
import json
import sys
import textwrap

import figures as bench_figures
from sample_container import exported_widths, sample_container

from harness import parsing

FILES = "ls /data/datasets/sample/wav/dev-*.wav /data/datasets/sample/wav/test-*.wav"

# Runs in the engine's interpreter: both engine paths on the same files, timed per file.
ENGINE_TIMING = textwrap.dedent("""
    import json, sys, time
    import numpy as np, stt, tensorflow as tf
    from stt_device.audio import for_model
    from stt_device.model import TfliteModel
    model_path, files = sys.argv[1], sys.argv[2:]
    reference = TfliteModel(model_path, interpreter_class=tf.lite.Interpreter)
    native = stt.Model(model_path)
    native.setBeamWidth(1)
    audio = [for_model(f, 16000) for f in files]
    seconds = sum(len(a) for a in audio) / 16000.0
    started = time.perf_counter()
    for a in audio:
        reference.probabilities(reference.features(a))
    tf_lite = time.perf_counter() - started
    started = time.perf_counter()
    for a in audio:
        native.stt((a * 32768).astype(np.int16))
    native_client = time.perf_counter() - started
    print(json.dumps({"audio_seconds": seconds, "tf_lite_rtf": tf_lite / seconds, "native_rtf": native_client / seconds}))
""")


# Runs in the device runtime's interpreter: what XNNPACK's probabilities change against TFLite's own kernels'.
KERNEL_PARITY = textwrap.dedent("""
    import json, pathlib, sys
    import numpy as np
    tflite, xnnpack = (sorted(pathlib.Path(folder).glob("*.npy")) for folder in sys.argv[1:3])
    pairs = [(np.load(str(a)), np.load(str(b))) for a, b in zip(tflite, xnnpack)]
    print(json.dumps({"frames": sum(len(a) for a, _ in pairs),
                      "argmax_differences": int(sum((a.argmax(1) != b.argmax(1)).sum() for a, b in pairs)),
                      "max_probability_difference": float(max(np.abs(a - b).max() for a, b in pairs))}))
""")


def device_run(box, model, files, kernels):
    """The device runtime on FILES with its default kernels or XNNPACK's: seconds of inference per second of audio,
    the texts, the probabilities kept in /tmp/probs-KERNELS."""
    flags = ["--xnnpack"] if kernels == "xnnpack" else []
    lines = box.run(["/opt/device/bin/python", "-m", "stt_device", "--model", model, "--json", *flags,
                     "--probs-out", f"/tmp/probs-{kernels}", *files], f"device, {kernels}", stream=False).splitlines()
    results = [json.loads(line) for line in lines if line.startswith("{")]
    audio = sum(item["audio_seconds"] for item in results)
    return sum(item["inference_seconds"] for item in results) / audio, [item["transcript"] for item in results]


def main() -> int:
    rows = []
    with sample_container("bench-inference") as box:
        threads = int(box.run(["/opt/device/bin/python", "-c", "from stt_device.model import NUM_THREADS; print(NUM_THREADS)"],
                              "threads", stream=False).strip())
        files = box.run(["bash", "-c", FILES], "files", stream=False).split()
        for width, name, exported in exported_widths(box):
            box.run(["rm", "-rf", "/tmp/probs-tflite", "/tmp/probs-xnnpack"], "clean", stream=False)
            device, texts = device_run(box, exported["model"], files, "tflite")
            xnnpack, xnnpack_texts = device_run(box, exported["model"], files, "xnnpack")
            parity = parsing.last_json(box.run(["/opt/device/bin/python", "-c", KERNEL_PARITY, "/tmp/probs-tflite",
                                                "/tmp/probs-xnnpack"], "kernel parity", stream=False))
            parity["same_text"] = sum(a == b for a, b in zip(texts, xnnpack_texts))
            engine = parsing.last_json(box.run(["python", "-c", ENGINE_TIMING, exported["model"], *files], "engine",
                                                stream=False))
            rows.append({"n_hidden": width, "name": name, "model_bytes": exported["model_bytes"], "device": device,
                         "device_xnnpack": xnnpack, "tf_lite": engine["tf_lite_rtf"], "native": engine["native_rtf"],
                         "xnnpack_against_tflite_kernels": parity})
    machine = bench_figures.machine()
    print(f"\n{machine}; {len(files)} files, {engine['audio_seconds']:.1f} s of audio; seconds of inference per second of "
          f"audio; {threads} interpreter threads for the device runtime and the native client.\n")
    print("| model | TFLite bytes | device runtime | device, --xnnpack | engine, TF 1.15 tf.lite | engine, native client "
          "(beam 1) | device / native | device --xnnpack / native |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(f"| {row['name']} | {row['model_bytes']:,} | {row['device']:.4f} | {row['device_xnnpack']:.4f} "
              f"| {row['tf_lite']:.4f} | {row['native']:.4f} | {row['device'] / row['native']:.2f} "
              f"| {row['device_xnnpack'] / row['native']:.2f} |")
    print("\nWhat --xnnpack changes against TFLite's own kernels (which agree with the native client's to 1e-5):\n")
    print("| model | frames whose most likely label differs | largest probability difference | same greedy text |")
    print("|---|---:|---:|---:|")
    for row in rows:
        parity = row["xnnpack_against_tflite_kernels"]
        print(f"| {row['name']} | {parity['argmax_differences']} of {parity['frames']} "
              f"| {parity['max_probability_difference']:.3f} | {parity['same_text']} of {len(files)} |")

    def per_width(value):
        return {str(row["n_hidden"]): value(row) for row in rows}

    figures = {"machine": machine, "files": len(files), "audio_seconds": round(engine["audio_seconds"], 2), "threads": threads,
               "device_over_native": per_width(lambda row: round(row["device"] / row["native"], 3)),
               "device_xnnpack_over_native": per_width(lambda row: round(row["device_xnnpack"] / row["native"], 3)),
               "device_over_tf_lite": per_width(lambda row: round(row["device"] / row["tf_lite"], 3)),
               "seconds_per_audio_second": per_width(lambda row: {
                   **{key: round(row[key], 5) for key in ("device", "device_xnnpack", "tf_lite", "native")},
                   "model_bytes": row["model_bytes"]}),
               "xnnpack_against_tflite_kernels": per_width(lambda row: row["xnnpack_against_tflite_kernels"])}
    bench_figures.write("inference", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
