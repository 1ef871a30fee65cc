"""The training engines, and the only code that talks to one.

Two engines train the same DeepSpeech model (same graph, checkpoints and TFLite interface):
Coqui STT's `coqui_stt_training` 1.4.0 and Mozilla's `deepspeech_training` 0.9.3. The image
holds one of them (the template's `engine` answer); `current()` is that one. An Engine turns a
phase (train, evaluate, export, tune) and a run's config into the engine's command line:
a setting reaches the phases its config.KEYS entry names, as the flag of the same name,
written the way that engine parses flags (coqpit or absl). A setting an engine lacks is
refused with one sentence before anything starts (Engine.check).
"""
import importlib
import importlib.util
import sys
from pathlib import Path

from .. import config as configuration
from ..errors import UserError

# The template's `engine` answers (its cookiecutter json lists the same; tests/template checks it) -> module, class.
ENGINES = {"coqui-stt-training": ("coqui", "CoquiSTT"), "deepspeech-training": ("deepspeech", "DeepSpeech")}


class Engine:
    name = None                # the template answer, and what run.json records
    package = None             # its Python package
    decoder_package = None     # its CTC decoder (Python bindings)
    native_package = None      # its native client (own TFLite + C++ decoder), the parity reference
    # phase -> the module run with `python -m`; these two are playbook's wrappers of the engine's own code.
    modules = {"evaluate_hot_words": "playbook.engines.evaluate_hot_words", "tune": "playbook.engines.lm_optimize"}
    # setting -> (value the engine always uses, why it cannot change and what to use instead)
    lacks = {}
    # command -> why this engine cannot run it and what to use instead
    cannot = {}
    # Added to every phase: no progress bar (the epoch lines are read from the log), and Coqui's
    # pre-training test batch off.
    always_flags = {}
    # The flag its evaluate and LM optimiser take the beam width from.
    beam_width_flag = "beam_width"
    # Its decoder's Scorer method that loads a package file, and the text of one decoder result.
    scorer_loader = None
    transcript = None

    def version(self):
        spec = importlib.util.find_spec(self.package)
        if spec is None or not spec.origin:
            return "not installed"
        return Path(spec.origin).with_name("VERSION").read_text().strip()

    def describe(self):
        return "{} {}".format(self.name, self.version())

    def require(self, command):
        if command in self.cannot:
            raise UserError("{}: {} {}".format(command, self.name, self.cannot[command]))

    # --- settings -------------------------------------------------------------------------------

    def check(self, config):
        """Refuse a setting this engine cannot honour, before anything starts."""
        for name, (fixed, why) in self.lacks.items():
            if config.get(name, fixed) != fixed:
                raise UserError("{} = {}: {} {}".format(name, configuration.toml_value(config[name]), self.name, why))

    def setting_flags(self, config, phase):
        """The run config's settings that reach PHASE, as flags of the same name."""
        flags = {}
        for name, key in configuration.KEYS.items():
            if phase in key.phases and name not in self.lacks and name not in ("feature_cache", "augment"):
                flags[name] = config[name]
        if phase == configuration.TRAIN and config["augment"]:
            flags["augment"] = [self.augmentation(spec) for spec in config["augment"]]
        return flags

    def augmentation(self, spec):
        """An augmentation spec (playbook's grammar is coqui-stt-training's) in this engine's own words."""
        return spec

    # --- command lines --------------------------------------------------------------------------

    def command(self, python, phase, flags):
        """[python, -u, -m, module, flags...]; flags written as this engine parses them."""
        command = [str(python), "-u", "-m", self.modules[phase]]
        for key, value in dict(self.always_flags, **flags).items():
            command += self.flag(key, value)
        return command

    def flag(self, key, value):
        raise NotImplementedError

    def train_flags(self, config, *, train_csv, dev_csv, alphabet, save_dir, load_dir, load, epochs, summary_dir,
                    feature_cache=None, drop_source_layers=0, reinitialize_learning_rate=False, load_cudnn=False):
        """Train, resume, fine-tune and transfer: LOAD ('init', 'last', 'best') from LOAD_DIR, save to SAVE_DIR.
        LOAD_CUDNN: the source checkpoint was trained with CuDNN (this invocation only; not the run's setting)."""
        self.check(config)
        flags = {"train_files": [train_csv], "dev_files": [dev_csv], "alphabet_config_path": alphabet,
                 "load_checkpoint_dir": load_dir, "save_checkpoint_dir": save_dir, "summary_dir": summary_dir,
                 "load_train": load}
        flags.update(self.setting_flags(config, configuration.TRAIN))
        flags["epochs"] = epochs
        # Off a terminal the progress bar prints a line per step, which playbook/training/progress.py summarises.
        flags["show_progressbar"] = True
        if feature_cache:
            flags["feature_cache"] = feature_cache
        if drop_source_layers:
            flags["drop_source_layers"] = drop_source_layers
        if reinitialize_learning_rate:
            # The learning rate is a variable in the checkpoint; without this the source's rate would be restored.
            flags["force_initialize_learning_rate"] = True
        if load_cudnn:
            flags["load_cudnn"] = True
        return flags

    def evaluate_flags(self, config, *, checkpoint_dir, load, test_csv, alphabet, output, beam_width,
                       scorer=None, alpha=None, beta=None):
        self.check(config)
        flags = {"checkpoint_dir": checkpoint_dir, "load_evaluate": load, "test_files": [test_csv],
                 "alphabet_config_path": alphabet, "test_output_file": output, self.beam_width_flag: beam_width}
        flags.update(self.setting_flags(config, configuration.EVALUATE))
        if scorer is not None:
            flags.update(scorer_path=scorer, lm_alpha=alpha, lm_beta=beta)
        return flags

    def export_flags(self, config, *, checkpoint_dir, load, alphabet, export_dir, quantize):
        if not quantize:
            self.check(dict(config, export_quantize=False))
        flags = {"checkpoint_dir": checkpoint_dir, "load_evaluate": load, "alphabet_config_path": alphabet,
                 "export_dir": export_dir, "export_tflite": True}
        flags.update(self.setting_flags(config, configuration.EXPORT))
        if "export_quantize" in flags:
            flags["export_quantize"] = quantize
        return flags

    def tune_flags(self, config, *, checkpoint_dir, load, dev_csv, alphabet, scorer, trials, alpha_max, beta_max,
                   beam_width):
        self.check(config)
        flags = {"checkpoint_dir": checkpoint_dir, "load_evaluate": load, "test_files": [dev_csv],
                 "alphabet_config_path": alphabet, "scorer_path": scorer, "n_trials": trials,
                 "lm_alpha_max": alpha_max, "lm_beta_max": beta_max, self.beam_width_flag: beam_width}
        flags.update(self.setting_flags(config, configuration.TUNE))
        return flags

    # --- decoder and native client ----------------------------------------------------------------

    def decoder(self):
        return importlib.import_module(self.decoder_package)

    def load_scorer(self, path, alphabet_path):
        """(error code, scorer) from the engine's own decoder; code 0 means it loaded."""
        decoder = self.decoder()
        scorer = decoder.Scorer()
        code = getattr(scorer, self.scorer_loader)(str(path).encode("utf-8"), decoder.Alphabet(str(alphabet_path)))
        return code, scorer

    def decode(self, probabilities, alphabet, beam_width, scorer=None, hot_words=None):
        """The best transcript of one utterance's per-frame probabilities; HOT_WORDS: {word: boost}."""
        results = self.decoder().ctc_beam_search_decoder(probabilities, alphabet, beam_width, scorer=scorer,
                                                         hot_words=bytes_keys(hot_words))
        return self.transcript(results[0]).strip()

    def word_log_probability(self, scorer, word):
        return scorer.get_log_cond_prob([word.encode("utf-8")], False, False)

    def native_model(self, model_path):
        """The engine's own native client, loaded with MODEL_PATH (same methods in both: Model.stt etc.)."""
        return importlib.import_module(self.native_package).Model(str(model_path))


def bytes_keys(hot_words):
    """{word: boost} as both engines' decoder bindings take it: UTF-8 bytes to float."""
    return {word.encode("utf-8"): float(boost) for word, boost in (hot_words or {}).items()}


def by_name(name):
    if name not in ENGINES:
        raise UserError("unknown engine '{}'; the engines are {}.".format(name, " and ".join(ENGINES)))
    module, engine_class = ENGINES[name]
    return getattr(importlib.import_module("." + module, __name__), engine_class)()


def current():
    """The engine installed in this interpreter (an image holds one)."""
    for name in ENGINES:
        engine = by_name(name)
        if importlib.util.find_spec(engine.package) is not None:
            return engine
    raise UserError("no training engine is installed in {}; run this inside the project's container.".format(
        sys.executable))
