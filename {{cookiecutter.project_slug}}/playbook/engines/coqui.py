"""Coqui STT's training engine, coqui_stt_training 1.4.0 (PyPI).

Flags go through coqpit: `--key value`, booleans as true/false, lists as separate arguments.
"""
from . import Engine


class CoquiSTT(Engine):
    name = "coqui-stt-training"
    package = "coqui_stt_training"
    decoder_package = "coqui_stt_ctcdecoder"
    native_package = "stt"
    modules = dict(Engine.modules, train="coqui_stt_training.train", evaluate="coqui_stt_training.evaluate",
                   export="coqui_stt_training.export")
    always_flags = {"show_progressbar": False, "skip_batch_test": True}
    beam_width_flag = "export_beam_width"
    scorer_loader = "init_from_filepath"
    transcript = staticmethod(lambda result: result.transcript)

    def flag(self, key, value):
        if isinstance(value, list):
            return ["--" + key] + [str(v) for v in value]
        return ["--" + key, str(value).lower() if isinstance(value, bool) else str(value)]
