"""Decode time per second of audio, with and without the scorer, at two beam widths.

    python bench/scorer.py            (or: make bench-scorer)

In the project's CPU container: the sample corpus, a 12-epoch run, its TFLite export and
the sample's scorer; then `playbook decoder-parity` on the 20 dev and test files for each
decoder setting. That command computes the model's probabilities once per file and times
both decoders on them: the device runtime's pure-Python beam search (what `transcribe`
uses, no TensorFlow) and the engine's C++ coqui-stt-ctcdecoder. Greedy decoding is the
floor. One run; numbers are seconds of decoding per second of audio (lower is better;
below 1 keeps up with speech), model inference excluded.
"""
import json
import sys

from sample_container import sample_container

from harness.parsing import last_json

RUN = "bench"
BEAM_WIDTHS = (100, 500)  # the device runtime's default, and the engine evaluate's


def main() -> int:
    rows = []
    with sample_container("bench-scorer") as box:
        box.run(["playbook", "train", "--run", RUN, "--set", "epochs=12"], "train", stream=False)
        box.run(["playbook", "export", "--run", RUN], "export", stream=False)
        box.run(["playbook", "lm", "--run", RUN, "--order", "3"], "lm", stream=False)
        files = box.run(["bash", "-c", "ls /data/datasets/sample/wav/dev-*.wav /data/datasets/sample/wav/test-*.wav"],
                        "files", stream=False).split()
        greedy = [json.loads(line) for line in box.run(["playbook", "transcribe", "--run", RUN, "--json", *files],
                                                        "greedy", stream=False).splitlines() if line.startswith("{")]
        audio = sum(item["audio_seconds"] for item in greedy)
        inference = sum(item["inference_seconds"] for item in greedy)
        rows.append(("greedy", "-", round(sum(item["decode_seconds"] for item in greedy) / audio, 5), "-", "-"))
        for beam in BEAM_WIDTHS:
            for scorer in (None, "sample"):
                command = ["playbook", "decoder-parity", "--run", RUN, "--beam-width", str(beam)]
                command += ["--scorer", scorer] if scorer else []
                result = last_json(box.run(command + files, f"beam {beam}", stream=False, check=False))
                rows.append((f"beam {beam}" + (" + scorer" if scorer else ""), beam, result["device_decode_rtf"],
                             result["engine_decode_rtf"], f"{result['agree']}/{result['files']}"))
    print(f"\n{len(files)} files, {audio:.1f} s of audio; model inference (TFLite, n_hidden 192): "
          f"{inference / audio:.4f} s per s of audio, not counted below.\n")
    print("| decoder | beam width | device runtime (Python), s per s of audio | engine decoder (C++), s per s of audio "
          "| same text |")
    print("|---|---:|---:|---:|---:|")
    for name, beam, device, engine, agree in rows:
        print(f"| {name} | {beam} | {device} | {engine} | {agree} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
