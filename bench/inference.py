"""Real-time factor of the device runtime against the engine's TFLite paths, for two model widths.

    python bench/inference.py            (or: make bench-inference)

In the project's CPU container: the sample corpus; a 12-epoch n_hidden 192 run (the sample
model) and a 1-epoch n_hidden 2048 run on 8 utterances (release width; its weights are as good
as random, which is fine for timing); both exported (quantised). Then, on the 20 dev and test
files, seconds of model inference (features + acoustic model, no decoding) per second of audio:

- device runtime: stt_device on ai-edge-litert 2.1.6 (TFLite's own kernels), CPython 3.11, no TensorFlow;
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


def device_rtf(box, model, files):
    lines = box.run(["playbook", "transcribe", "--model", model, "--json", *files], "device", stream=False).splitlines()
    results = [json.loads(line) for line in lines if line.startswith("{")]
    audio = sum(item["audio_seconds"] for item in results)
    return sum(item["inference_seconds"] for item in results) / audio


def main() -> int:
    rows = []
    with sample_container("bench-inference") as box:
        threads = int(box.run(["/opt/device/bin/python", "-c", "from stt_device.model import NUM_THREADS; print(NUM_THREADS)"],
                              "threads", stream=False).strip())
        files = box.run(["bash", "-c", FILES], "files", stream=False).split()
        for width, name, exported in exported_widths(box):
            device = device_rtf(box, exported["model"], files)
            engine = parsing.last_json(box.run(["python", "-c", ENGINE_TIMING, exported["model"], *files], "engine",
                                                stream=False))
            rows.append((width, name, exported["model_bytes"], device, engine["tf_lite_rtf"], engine["native_rtf"]))
    machine = bench_figures.machine()
    print(f"\n{machine}; {len(files)} files, {engine['audio_seconds']:.1f} s of audio; seconds of inference per second of "
          f"audio; {threads} interpreter threads for the device runtime and the native client.\n")
    print("| model | TFLite bytes | device runtime | engine, TF 1.15 tf.lite | engine, native client (beam 1) "
          "| device / tf.lite | device / native |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for _, name, size, device, tf_lite, native in rows:
        print(f"| {name} | {size:,} | {device:.4f} | {tf_lite:.4f} | {native:.4f} | {device / tf_lite:.2f} | {device / native:.2f} |")
    figures = {"machine": machine, "files": len(files), "audio_seconds": round(engine["audio_seconds"], 2), "threads": threads,
               "device_over_native": {str(width): round(device / native, 3) for width, _, _, device, _, native in rows},
               "device_over_tf_lite": {str(width): round(device / tf_lite, 3) for width, _, _, device, tf_lite, _ in rows},
               "seconds_per_audio_second": {str(width): {"device": round(device, 5), "tf_lite": round(tf_lite, 5),
                                                         "native": round(native, 5), "model_bytes": size}
                                            for width, _, size, device, tf_lite, native in rows}}
    bench_figures.write("inference", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
