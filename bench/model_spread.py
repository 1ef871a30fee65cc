"""How much do the numbers the tests assert about trained models vary between models?

    python bench/model_spread.py [--seeds 4568,1,2,...] [--chapters checkpoints,scorer,tflite]
                                 (or: make bench-model-spread)

CI trains new models on every run, and on another CPU the same seed may give other weights. So
this trains, once per seed (`random_seed` in the baked project's playbook.toml, as a user sets
it), exactly what the tests train: the end-to-end job (harness/endtoend.py) and the chapters
whose tests assert a model's quality. For every asserted quantity it prints the worst value over
the seeds, the bound in harness/model_bounds.py and the margin between them, and writes every
value to reports/bench-model-spread.json (rewritten after each seed, so a long run that is
stopped keeps what it measured; `--reuse` takes the seeds measured before from
reports/model-spread/seed-N.json). About 7 minutes a seed on 2 cores.

`--corpus-parity` measures instead the quantised export's parity with TensorFlow 1.15's TFLite over
every file of the sample corpus, one 40-epoch model per seed (about 4 minutes a seed): the two
interpreters round an activation one step apart only now and then, and the held-out set's ten files
are too few to see how far such a step moves the probabilities.
"""
import argparse
import json
import statistics
import sys
import time
from dataclasses import dataclass
from typing import Callable

import figures as bench_figures
from sample_container import REPO, sample_container

from harness import chapters, endtoend, model_bounds as bounds, scoring
from harness.parsing import last_json
from harness.log import HarnessError, log

DEFAULT_SEEDS = [4568] + list(range(1, 10))  # the project's default seed, then nine others
REPORT = REPO / "reports" / "bench-model-spread.json"


@dataclass
class Quantity:
    name: str
    source: str  # "demo" (the end-to-end report) or a chapter's name
    value: Callable[[dict], float]  # from that report (a chapter's: its metrics)
    bound: float
    worst: str  # "max": the largest value must stay <= bound; "min": the smallest must stay >= bound
    strict: bool = False  # < or > instead of <= or >=

    def outside(self, value: float) -> bool:
        if self.worst == "max":
            return value >= self.bound if self.strict else value > self.bound
        return value <= self.bound if self.strict else value < self.bound


def share(part: float, whole: float) -> float:
    return part / whole if whole else 0.0


QUANTITIES = [
    Quantity("first model (make hello): held-out WER, scorer", "demo", lambda r: r["first_model"]["wer"],
             bounds.FIRST_MODEL_WER, "max"),
    Quantity("held-out CER, project image, no scorer", "demo", lambda r: r["cer"], bounds.HELD_OUT_CER, "max"),
    Quantity("held-out CER, device image, scorer", "demo", lambda r: r["device"]["cer"], bounds.HELD_OUT_CER, "max"),
    Quantity("WER with scorer minus WER without", "demo", lambda r: r["scorer"]["wer"] - r["wer"],
             bounds.SCORER_WER_INCREASE, "max"),
    Quantity("converted 44.1 kHz stereo copy, CER", "demo",
             lambda r: scoring.score(r["device"]["converted"]["original"], r["device"]["converted"]["transcript"])["cer"],
             bounds.CONVERTED_AUDIO_CER, "max"),
    Quantity("feature max difference", "demo", lambda r: r["scorer"]["parity_max_feature_difference"],
             bounds.FEATURE_DIFFERENCE, "max"),
    Quantity("float export: probability max difference", "demo",
             lambda r: r["scorer"]["float_parity_max_probability_difference"], bounds.FLOAT_PROBABILITY_DIFFERENCE, "max"),
    Quantity("quantised: probability max difference", "demo", lambda r: r["scorer"]["parity_max_probability_difference"],
             bounds.QUANTISED_PROBABILITY_DIFFERENCE, "max"),
    Quantity("quantised: share of frames whose argmax differs", "demo",
             lambda r: share(r["scorer"]["parity_argmax_differences"], r["scorer"]["parity_frames"]),
             bounds.QUANTISED_ARGMAX_DIFFERENCES, "max"),
    Quantity("quantised: same text from both interpreters (of 10)", "demo",
             lambda r: r["scorer"]["parity_agree_across_interpreters"], 10, "min"),
    Quantity("float: same text from both interpreters (of 10)", "demo",
             lambda r: r["scorer"]["float_parity_agree_across_interpreters"], 10, "min"),
    Quantity("device decoder = engine decoder (of 10)", "demo", lambda r: r["scorer"]["parity_agree"], 10, "min"),
    Quantity("float: device decoder = engine decoder (of 10)", "demo", lambda r: r["scorer"]["float_parity_agree"], 10, "min"),
    Quantity("device image = project image (of 10)", "demo", lambda r: r["device"]["same_as_project_image"], 10, "min"),
    Quantity("streamed = whole file (of 10)", "demo", lambda r: r["device"]["streamed_same"], 10, "min"),
    Quantity("fine-tune / base first dev loss", "checkpoints",
             lambda m: m["finetune_first_dev_loss"] / m["base_first_dev_loss"], bounds.FINETUNE_FIRST_DEV_LOSS_RATIO, "max"),
    Quantity("checkpoints chapter: base run's WER (best_dev)", "checkpoints", lambda m: m["wer"], bounds.CHECKPOINTS_WER, "max"),
    Quantity("checkpoints chapter: CER minus WER", "checkpoints", lambda m: m["cer"] - m["wer"], 0.0, "max"),
    Quantity("tuned scorer: WER with minus without", "scorer", lambda m: m["wer_with_scorer"] - m["wer_without_scorer"],
             0.0, "max", strict=True),
    Quantity("package scorer: WER with minus without", "scorer", lambda m: m["wer_default_scorer"] - m["wer_no_scorer"],
             0.0, "max", strict=True),
    Quantity("TFLite chapter: held-out CER, container", "tflite", lambda m: m["container_cer"], bounds.HELD_OUT_CER, "max"),
    Quantity("TFLite chapter: held-out CER, amd64 device image", "tflite", lambda m: m["amd64_cer"], bounds.HELD_OUT_CER, "max"),
    Quantity("TFLite chapter: held-out CER, arm64 device image (emulated)", "tflite", lambda m: m["arm64_cer"],
             bounds.HELD_OUT_CER, "max"),
]


def measure(seed: int, names: list[str], folder, demo: bool = True) -> dict:
    """One seed: the end-to-end job (unless not DEMO) and the chapters, each with random_seed = seed."""
    settings = {"random_seed": seed}
    measured: dict = {"seed": seed}
    started = time.monotonic()
    try:
        if demo:
            measured["demo"] = endtoend.run(report_dir=folder, report_name=f"demo-seed-{seed}", settings=settings)
    except HarnessError as error:
        measured["errors"] = {"demo": str(error)}
    if names:
        report = chapters.run(names, report_dir=folder / f"chapters-seed-{seed}", settings=settings)
        for name, result in report.items():
            measured[name] = result["metrics"]
            if not result["passed"]:
                measured.setdefault("errors", {})[name] = result.get("failed_block", {}).get("error", "failed")
    measured["seconds"] = round(time.monotonic() - started)
    return measured


CORPUS_REPORT = REPO / "reports" / "bench-model-spread-corpus-parity.json"


def corpus_parity(seeds: list[int]) -> list[dict]:
    """The quantised export's parity over every file of the sample corpus (train, dev and test) for one
    40-epoch model per seed: rare activations that the two interpreters round one step apart show up
    here often enough to see how far they move the probabilities."""
    found = []
    with sample_container("bench-model-spread") as box:
        files = box.run(["bash", "-c", "ls /data/datasets/sample/wav/*.wav"], "files", stream=False).split()
        for seed in seeds:
            run = f"seed-{seed}"
            box.run(["playbook", "train", "--run", run, "--set", f"random_seed={seed}"], f"train {run}", stream=False)
            model = last_json(box.run(["playbook", "export", "--run", run], f"export {run}", stream=False))["model"]
            if seed == seeds[0]:
                box.run(["playbook", "lm", "--run", run, "--order", "3"], "lm", stream=False)
            parity = last_json(box.run(["playbook", "decoder-parity", "--run", run, "--scorer", "sample", "--model", model,
                                        *files], f"parity {run}", stream=False, check=False))
            rows = parity.pop("rows")
            differences = sorted((row["max_probability_difference"] for row in rows), reverse=True)
            found.append(dict(parity, seed=seed, files_over_1e_4=sum(d > 1e-4 for d in differences),
                              largest_file_differences=differences[:5]))
            CORPUS_REPORT.parent.mkdir(exist_ok=True)
            CORPUS_REPORT.write_text(json.dumps({"seeds": seeds, "models": found, "machine": bench_figures.machine()}, indent=2) + "\n")
            log(f"seed {seed}: max difference {parity['max_probability_difference']:.2e}, "
                f"argmax differs in {parity['argmax_differences']} of {parity['frames']} frames, "
                f"same text {parity['agree_across_interpreters']} of {parity['files']}")
    return found


def corpus_table(found: list[dict]) -> str:
    lines = ["| seed | files | frames | max probability difference | files > 1e-4 | frames whose argmax differs | "
             "same text from both interpreters |", "|---:|---:|---:|---:|---:|---:|---:|"]
    for item in found:
        lines.append(f"| {item['seed']} | {item['files']} | {item['frames']} | {item['max_probability_difference']:.2e} | "
                     f"{item['files_over_1e_4']} | {item['argmax_differences']} | {item['agree_across_interpreters']} |")
    return "\n".join(lines)


def values(quantity: Quantity, runs: list[dict]) -> list[tuple[int, float]]:
    found = []
    for run in runs:
        try:
            found.append((run["seed"], float(quantity.value(run[quantity.source]))))
        except (KeyError, TypeError, ZeroDivisionError):
            continue  # that part of the run failed; its error is in the report
    return found


def summarise(runs: list[dict]) -> list[dict]:
    rows = []
    for quantity in QUANTITIES:
        found = values(quantity, runs)
        if not found:
            continue
        numbers = [v for _, v in found]
        worst = max(numbers) if quantity.worst == "max" else min(numbers)
        margin = quantity.bound - worst if quantity.worst == "max" else worst - quantity.bound
        rows.append({"quantity": quantity.name, "source": quantity.source, "bound": quantity.bound,
                     "bound_kind": ("<" if quantity.worst == "max" else ">") + ("" if quantity.strict else "="),
                     "models": len(found), "min": min(numbers), "median": statistics.median(numbers), "max": max(numbers),
                     "worst": worst, "margin": margin, "violations": sum(map(quantity.outside, numbers)),
                     "values": dict((str(seed), v) for seed, v in found)})
    return rows


def number(value: float) -> str:
    return f"{value:.3g}" if isinstance(value, float) and value != int(value) else f"{value:g}"


def table(rows: list[dict]) -> str:
    lines = ["| quantity | models | min | median | max | bound | margin | outside |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for row in rows:
        lines.append(f"| {row['quantity']} | {row['models']} | {number(row['min'])} | {number(row['median'])} | "
                     f"{number(row['max'])} | {row['bound_kind']} {number(row['bound'])} | {number(row['margin'])} | "
                     f"{row['violations']} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default=",".join(map(str, DEFAULT_SEEDS)), help="comma-separated (default: %(default)s)")
    parser.add_argument("--chapters", default="checkpoints,scorer,tflite",
                        help="chapters to run per seed, comma-separated; empty for none (default: %(default)s)")
    parser.add_argument("--no-demo", dest="demo", action="store_false", help="only the chapters, not the end-to-end job")
    parser.add_argument("--corpus-parity", dest="corpus_parity", action="store_true",
                        help="instead: the quantised export's parity over the whole sample corpus, one 40-epoch model per seed")
    parser.add_argument("--reuse", action="store_true",
                        help="take a seed's results from an earlier run of this benchmark where they were saved")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    names = [n for n in args.chapters.split(",") if n.strip()]
    if args.corpus_parity:
        found = corpus_parity(seeds)  # written to CORPUS_REPORT after each seed
        print(f"\nThe quantised export against TensorFlow 1.15's TFLite, every file of the sample corpus; "
              f"40 epochs, n_hidden 192.\n\n{corpus_table(found)}\n\n{CORPUS_REPORT}")
        return 0
    folder = REPO / "reports" / "model-spread"
    folder.mkdir(parents=True, exist_ok=True)
    runs = []
    for seed in seeds:
        saved = folder / f"seed-{seed}.json"
        if args.reuse and saved.is_file():
            log(f"=== seed {seed}: reusing {saved}")
            runs.append(json.loads(saved.read_text()))
        else:
            log(f"=== seed {seed} ({len(runs) + 1} of {len(seeds)})")
            runs.append(measure(seed, names, folder, args.demo))
            saved.write_text(json.dumps(runs[-1], indent=2) + "\n")
        rows = summarise(runs)
        REPORT.write_text(json.dumps({"seeds": [r["seed"] for r in runs], "quantities": rows,
                                      "errors": {r["seed"]: r["errors"] for r in runs if r.get("errors")},
                                      "seconds": [r["seconds"] for r in runs], "machine": bench_figures.machine()}, indent=2) + "\n")
    print(f"\n{len(runs)} models per quantity (seeds {', '.join(map(str, seeds))}); bounds from harness/model_bounds.py.\n")
    print(table(summarise(runs)))
    errors = {r["seed"]: r["errors"] for r in runs if r.get("errors")}
    if errors:
        print("\nerrors:", json.dumps(errors, indent=2))
    print(f"\n{REPORT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
