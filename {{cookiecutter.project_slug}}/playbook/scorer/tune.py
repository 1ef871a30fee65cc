"""`playbook tune-scorer`: a scorer's alpha and beta for one run, found on its dev set by the engine's own LM
optimiser (Optuna), stored in the package, with the test set's WER/CER before and after."""
import json
import re

from stt_device.decoding import ENGINE_BEAM_WIDTH

from .. import engines
from ..errors import UserError
from ..training import runs
from ..training.evaluation import check_scorer, evaluate
from ..training.process import run_engine
from . import kenlm as lm
from . import package as packages

BEST_PARAMS = re.compile(r"Best params: lm_alpha=([0-9.eE+-]+) and lm_beta=([0-9.eE+-]+) with WER=([0-9.eE+-]+)")


def tune_scorer(name, scorer, checkpoint="best", trials=20, alpha_max=5, beta_max=5, beam_width=None, command_line=""):
    """Search alpha and beta on the dev set (the engine's Optuna LM optimiser), store the best in the
    package, and report the test set's WER/CER without the scorer, before and after."""
    if trials < 1:
        raise UserError("--trials must be at least 1.")
    run, config = runs.load_run(name)
    path = lm.resolve_scorer(scorer)
    package = check_scorer(run, path)
    if not runs.meta(run)["dataset"]:
        raise UserError("run '{}' was imported and has no dev set of its own; fine-tune it on your data first "
                        "(`playbook finetune --from {} --run NEW`) and tune the scorer for that run.".format(name, name))
    dev_csv = runs.dataset_files(runs.meta(run)["dataset"], need=("dev", "test"), alphabet=run / "alphabet.txt")["dev"]
    common = dict(checkpoint=checkpoint, beam_width=beam_width, command_line=command_line, check=False)
    without = evaluate(name, **common)
    before = evaluate(name, scorer=path, **common)
    load_dir, method, loaded = runs.stage_checkpoint(run, checkpoint)
    try:
        output = run_engine("tune", engines.current().tune_flags(
            config, checkpoint_dir=load_dir, load=method, dev_csv=dev_csv, alphabet=run / "alphabet.txt", scorer=path,
            trials=trials, alpha_max=alpha_max, beta_max=beta_max, beam_width=beam_width or ENGINE_BEAM_WIDTH),
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
