"""The engine's alpha/beta search (coqui_stt_training.util.lm_optimize) with a seeded sampler.

The engine creates its Optuna study without a seed, so the same tune-scorer command on the
same checkpoint tried other alpha/beta pairs each time and could store another result. This
runs the engine's own search with `optuna.samplers.TPESampler(seed=--random_seed)`, the run's
seed; every other flag is the engine's.
"""
import optuna
from coqui_stt_training.util import lm_optimize
from coqui_stt_training.util.config import Config


def main():
    create_study = optuna.create_study

    def seeded_study(*args, **kwargs):
        # Config is filled from the command line by the time the engine creates its study.
        kwargs.setdefault("sampler", optuna.samplers.TPESampler(seed=Config.random_seed))
        return create_study(*args, **kwargs)

    lm_optimize.optuna.create_study = seeded_study
    lm_optimize.main()


if __name__ == "__main__":
    main()
