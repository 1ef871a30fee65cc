"""Evaluating a run's checkpoint: WER/CER on a test set, with or without a scorer (one that fits its alphabet)."""
import json
import statistics
from pathlib import Path

from stt_device.decoding import ENGINE_BEAM_WIDTH, OOV_SCORE

from .. import engines
from ..errors import UserError
from . import runs
from .process import run_engine



def check_scorer(run, scorer_path):
    """The package, after the engine's own decoder loaded it and it proved to fit the run's alphabet."""
    from ..scorer import package as packages
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
    from ..scorer import kenlm as lm
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
    beam_width = beam_width or ENGINE_BEAM_WIDTH
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
