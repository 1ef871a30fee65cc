"""Does augmentation help on the sample? The same run without and with a preset, long enough to overfit.

    python bench/augmentation.py [--epochs 40] [--preset light]     (or: make bench-augmentation)

In the project's CPU container: the sample corpus, then two runs with the same seed and
settings, one plain and one with `augment=preset:<preset>`, each followed by
`playbook evaluate` (test set, the engine's beam search without a scorer). One run each. The plain
run is repeatable on one machine (the same corpus and seed give the same model); the augmented one is
not quite, as the engine draws its sample-domain augmentations from unseeded generators in worker
processes: treat small differences as noise.
"""
import argparse
import json
import sys
import time

from sample_container import sample_container

from harness.parsing import last_json


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=40, help="default: %(default)s (the project's default)")
    parser.add_argument("--preset", default="light", help="default: %(default)s")
    args = parser.parse_args()
    rows = []
    with sample_container("bench-augmentation") as box:
        for run, settings in (("plain", []), (args.preset, ["--set", f"augment=preset:{args.preset}"])):
            started = time.monotonic()
            trained = last_json(box.run(["playbook", "train", "--run", run, "--set", f"epochs={args.epochs}", *settings],
                                        f"train {run}", stream=False))
            seconds = time.monotonic() - started
            evaluated = last_json(box.run(["playbook", "evaluate", "--run", run], f"evaluate {run}", stream=False))
            history = [json.loads(line) for line in box.run(["cat", f"/data/runs/{run}/epochs.jsonl"], "epochs",
                                                            stream=False).splitlines() if line.startswith("{")]
            rows.append((run, trained["best_dev_loss"], history[-1].get("dev_loss"), history[-1]["train_loss"],
                         evaluated["wer"], evaluated["cer"], round(seconds)))
    print(f"\nThe sample, {args.epochs} epochs, n_hidden 192, same seed; test set of 10 files, beam 500, no scorer.\n")
    print("| augmentation | best dev loss | last dev loss | last train loss | test WER | test CER | training seconds |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for run, best, last, train, wer, cer, seconds in rows:
        print(f"| {'none' if run == 'plain' else 'preset:' + run} | {best} | {last} | {train} | {wer} | {cer} | {seconds} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
