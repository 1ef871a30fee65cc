"""The engine's alpha/beta search with a seeded sampler: `python -m playbook.engines.lm_optimize FLAGS`.

coqui-stt-training: its own search (coqui_stt_training.util.lm_optimize), whose Optuna study
is created without a seed, run with `optuna.samplers.TPESampler(seed=--random_seed)`.
deepspeech-training 0.9.3 keeps its search in lm_optimizer.py at the root of its source tree,
outside the installed package; the same loop is written here (Optuna TPE over
U(0, lm_alpha_max) x U(0, lm_beta_max), the engine's own evaluate on each test file, WER, or
CER for a UTF-8 scorer) with the seeded sampler. Both print the engine's
"Best params: lm_alpha=... and lm_beta=... with WER=..." line.
"""
import optuna

from . import current


def _seeded(create_study, seed):
    def seeded_study(*args, **kwargs):
        kwargs.setdefault("sampler", optuna.samplers.TPESampler(seed=seed()))
        return create_study(*args, **kwargs)
    return seeded_study


def coqui_main():
    from coqui_stt_training.util import lm_optimize
    from coqui_stt_training.util.config import Config
    # Config is filled from the command line by the time the engine creates its study.
    lm_optimize.optuna.create_study = _seeded(optuna.create_study, lambda: Config.random_seed)
    lm_optimize.main()


def deepspeech_main(_):
    import tensorflow.compat.v1 as tfv1
    from deepspeech_training.evaluate import evaluate
    from deepspeech_training.train import create_model
    from deepspeech_training.util.config import Config, initialize_globals
    from deepspeech_training.util.evaluate_tools import wer_cer_batch
    from deepspeech_training.util.flags import FLAGS
    from ds_ctcdecoder import Scorer
    initialize_globals()
    character_based = Scorer(FLAGS.lm_alpha, FLAGS.lm_beta, FLAGS.scorer_path, Config.alphabet).is_utf8_mode()

    def objective(trial):
        FLAGS.lm_alpha = trial.suggest_float("lm_alpha", 0, FLAGS.lm_alpha_max)
        FLAGS.lm_beta = trial.suggest_float("lm_beta", 0, FLAGS.lm_beta_max)
        samples = []
        for step, test_file in enumerate(FLAGS.test_files.split(",")):
            tfv1.reset_default_graph()
            current_samples = evaluate([test_file], create_model)
            samples += current_samples
            wer, cer = wer_cer_batch(current_samples)
            trial.report(cer if character_based else wer, step)
            if trial.should_prune():
                raise optuna.exceptions.TrialPruned()
        wer, cer = wer_cer_batch(samples)
        return cer if character_based else wer

    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=FLAGS.random_seed))
    study.optimize(objective, n_jobs=1, n_trials=FLAGS.n_trials)
    print("Best params: lm_alpha={} and lm_beta={} with WER={}".format(
        study.best_params["lm_alpha"], study.best_params["lm_beta"], study.best_value), flush=True)


def main():
    if current().name == "deepspeech-training":
        import absl.app
        from deepspeech_training.util.flags import create_flags
        create_flags()
        absl.app.run(deepspeech_main)
    else:
        coqui_main()


if __name__ == "__main__":
    main()
