"""Coqui STT's training engine, coqui_stt_training 1.4.0 (PyPI).

Flags go through coqpit: `--key value`, booleans as true/false, lists as separate arguments.
"""
from . import Engine, bytes_keys


class CoquiSTT(Engine):
    name = "coqui-stt-training"
    package = "coqui_stt_training"
    decoder_package = "coqui_stt_ctcdecoder"
    native_package = "stt"
    modules = {"train": "coqui_stt_training.train", "evaluate": "coqui_stt_training.evaluate",
               "evaluate_hot_words": "playbook.engines.evaluate_hot_words", "export": "coqui_stt_training.export",
               "tune": "playbook.engines.lm_optimize"}
    quiet_flags = {"show_progressbar": False, "skip_batch_test": True}
    beam_width_flag = "export_beam_width"

    def flag(self, key, value):
        if isinstance(value, list):
            return ["--" + key] + [str(v) for v in value]
        return ["--" + key, str(value).lower() if isinstance(value, bool) else str(value)]

    def load_scorer(self, path, alphabet_path):
        decoder = self.decoder()
        scorer = decoder.Scorer()
        code = scorer.init_from_filepath(str(path).encode("utf-8"), decoder.Alphabet(str(alphabet_path)))
        return code, scorer

    def decode(self, probabilities, alphabet, beam_width, scorer=None, hot_words=None):
        decoded = self.decoder().ctc_beam_search_decoder(probabilities, alphabet, beam_width, scorer=scorer,
                                                         hot_words=bytes_keys(hot_words))
        return decoded[0].transcript.strip()
