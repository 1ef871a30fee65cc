"""Evaluating a run's checkpoint (WER/CER on a test set) and tuning a scorer's alpha and beta for it."""
import json
import re
import statistics
from pathlib import Path

from .. import engines
from ..errors import UserError
from . import runs
from .process import run_engine

OOV_SCORE = -999.0  # the decoder's log probability for a word its language model does not know is -1000
EVALUATE_BEAM_WIDTH = 500  # the engines' export_beam_width default; evaluate decodes with it here
BEST_PARAMS = re.compile(r"Best params: lm_alpha=([0-9.eE+-]+) and lm_beta=([0-9.eE+-]+) with WER=([0-9.eE+-]+)")


def check_scorer(run, scorer_path):
    """The package, after the engine's own decoder loaded it and it proved to fit the run's alphabet."""
    from .. import scorer as packages
    engine = engines.current()
    package = packages.read_package(scorer_path)
    code, decoder_scorer = engine.load_scorer(scorer_path, run / "alphabet.txt")
    if code != 0:
        raise UserError("{}: the engine's decoder refused it (error 0x{:X}); rebuild it with `playbook lm`.".format(scorer_path, code))
    packages.check_alphabet(package, runs.labels(run / "alphabet.txt"),
                            lambda word: engine.word_log_probability(decoder_scorer, word) > OOV_SCORE)
    return package


def _decoder(run, scorer, alpha, beta, hot_words):
    """(scorer path, alpha, beta, label) for how evaluate decodes."""
    if scorer is None:
        if alpha is not None or beta is not None or hot_words:
            raise UserError("--alpha, --beta and --hot-words need a scorer: pass --scorer too.")
        return None, None, None, "no-scorer"
    from .. import lm
    path = lm.resolve_scorer(scorer)
    package = check_scorer(run, path)
    # The engine would use its own lm_alpha/lm_beta defaults, not the package's.
    alpha = package.alpha if alpha is None else alpha
    beta = package.beta if beta is None else beta
    label = "{}-a{:.3f}-b{:.3f}{}".format(path.parent.name if path.name == lm.PACKAGE else path.stem, alpha, beta,
                                         "-hot" if hot_words else "")
    return path, alpha, beta, label


def evaluate(name, checkpoint="best", dataset=None, command_line="", scorer=None, alpha=None, beta=None,
             beam_width=None, hot_words=None, test_split="test", check=True):
    """WER/CER of one checkpoint on a test set, with the best, median and worst samples. CHECK the test
    set's rows first (tune-scorer checks its sets once and evaluates three times)."""
    run, config = runs.load_run(name)
    dataset = dataset or runs.meta(run)["dataset"]
    if not dataset:
        raise UserError("run '{}' was imported and has no dataset of its own; pass --dataset FOLDER.".format(name))
    dataset = Path(dataset)
    test_csv = runs.dataset_files(dataset, need=(test_split,), alphabet=run / "alphabet.txt", check=check)[test_split]
    scorer_path, alpha, beta, decoder = _decoder(run, scorer, alpha, beta, hot_words)
    load_dir, method, loaded = runs.stage_checkpoint(run, checkpoint)
    out_dir = run / "evaluations"
    out_dir.mkdir(exist_ok=True)
    stem = "{}-{}{}-{}".format(loaded, dataset.name, "" if test_split == "test" else "-" + test_split, decoder)
    samples_file = out_dir / "{}.samples.json".format(stem)
    beam_width = beam_width or EVALUATE_BEAM_WIDTH
    flags = engines.current().evaluate_flags(config, checkpoint_dir=load_dir, load=method, test_csv=test_csv,
                                             alphabet=run / "alphabet.txt", output=samples_file, beam_width=beam_width,
                                             scorer=scorer_path, alpha=alpha, beta=beta)
    try:
        if hot_words:
            run_engine("evaluate_hot_words", flags, run, command_line, config, env={"PLAYBOOK_HOT_WORDS": json.dumps(hot_words)})
        else:
            run_engine("evaluate", flags, run, command_line, config)
    finally:
        runs.unstage(load_dir)
    samples = json.loads(samples_file.read_text())
    if not samples:
        raise UserError("{} holds no samples to evaluate; add rows to it or pass another --dataset.".format(test_csv))
    words = sum(s["word_length"] for s in samples) or 1
    chars = sum(s["char_length"] for s in samples) or 1
    ranked = sorted(samples, key=lambda s: (s["wer"], s["cer"]))

    def brief(sample):
        return {"wav": sample["wav_filename"], "reference": sample["src"], "hypothesis": sample["res"],
                "wer": round(sample["wer"], 4), "cer": round(sample["cer"], 4)}

    decoder_record = {"beam_width": str(beam_width)}
    if scorer_path is not None:
        decoder_record.update(scorer_path=str(scorer_path), lm_alpha=str(alpha), lm_beta=str(beta))
    report = {"run": name, "checkpoint": loaded, "test_set": str(test_csv), "samples": len(samples),
              "decoder": dict(decoder_record, hot_words=hot_words or {}),
              "wer": round(sum(s["word_distance"] for s in samples) / words, 4),
              "cer": round(sum(s["char_distance"] for s in samples) / chars, 4),
              "loss": round(statistics.mean(s["loss"] for s in samples), 4) if samples else None,
              "best": brief(ranked[0]), "median": brief(ranked[len(ranked) // 2]), "worst": brief(ranked[-1])}
    report_file = out_dir / "{}.json".format(stem)
    report_file.write_text(json.dumps(report, indent=2) + "\n")
    report["report"] = str(report_file)
    return report


def tune_scorer(name, scorer, checkpoint="best", trials=20, alpha_max=5, beta_max=5, beam_width=None, command_line=""):
    """Search alpha and beta on the dev set (the engine's Optuna LM optimiser), store the best in the
    package, and report the test set's WER/CER without the scorer, before and after."""
    from .. import lm
    from .. import scorer as packages
    if trials < 1:
        raise UserError("--trials must be at least 1.")
    run, config = runs.load_run(name)
    path = lm.resolve_scorer(scorer)
    package = check_scorer(run, path)
    if not runs.meta(run)["dataset"]:
        raise UserError("run '{}' was imported and has no dev set of its own; fine-tune it on your data first "
                        "(`playbook finetune --from {} --run NEW`) and tune the scorer for that run.".format(name, name))
    dataset = Path(runs.meta(run)["dataset"])
    dev_csv = runs.dataset_files(dataset, need=("dev", "test"), alphabet=run / "alphabet.txt")["dev"]
    common = dict(checkpoint=checkpoint, beam_width=beam_width, command_line=command_line, check=False)
    without = evaluate(name, **common)
    before = evaluate(name, scorer=path, **common)
    load_dir, method, loaded = runs.stage_checkpoint(run, checkpoint)
    try:
        output = run_engine("tune", engines.current().tune_flags(
            config, checkpoint_dir=load_dir, load=method, dev_csv=dev_csv, alphabet=run / "alphabet.txt", scorer=path,
            trials=trials, alpha_max=alpha_max, beta_max=beta_max, beam_width=beam_width or EVALUATE_BEAM_WIDTH),
            run, command_line, config)
    finally:
        runs.unstage(load_dir)
    found = BEST_PARAMS.search(output)
    if not found:
        raise UserError("the engine's LM optimiser printed no 'Best params' line; its messages are above.")
    alpha, beta, dev_wer = (float(value) for value in found.groups())
    packages.set_defaults(path, alpha, beta)
    after = evaluate(name, scorer=path, **common)
    report = {"run": name, "checkpoint": loaded, "scorer": str(path), "trials": trials, "tuned_on": str(dev_csv),
              "dev_wer_best": round(dev_wer, 4),
              "alpha_before": package.alpha, "beta_before": package.beta, "alpha": alpha, "beta": beta,
              "test": {"without_scorer": {"wer": without["wer"], "cer": without["cer"]},
                       "scorer_before": {"wer": before["wer"], "cer": before["cer"]},
                       "scorer_after": {"wer": after["wer"], "cer": after["cer"]}},
              "wer_without_scorer": without["wer"], "wer_with_scorer": after["wer"],
              "cer_without_scorer": without["cer"], "cer_with_scorer": after["cer"],
              "time": runs.now()}
    # The package's previous defaults stay on record next to it.
    with open(str(path.with_name(path.name + ".tuning.jsonl")), "a") as log:
        log.write(json.dumps(report) + "\n")
    return report
