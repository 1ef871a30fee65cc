"""Mozilla DeepSpeech's training engine, deepspeech_training 0.9.3 (from its v0.9.3 source archive).

Flags go through absl: `--key=value`, file lists comma-separated, one `--augment=SPEC` per
augmentation. It has no export module (train.py exports when given --export_dir), no
`export_quantize` (its TFLite export is always dynamic-range quantised) and the warp
augmentation's parameters have their older names.
"""
from . import Engine

# coqui-stt-training's warp parameters (playbook's grammar) -> DeepSpeech 0.9.3's.
WARP_PARAMETERS = {"num_t": "nt", "num_f": "nf", "warp_t": "wt", "warp_f": "wf"}


class DeepSpeech(Engine):
    name = "deepspeech-training"
    package = "deepspeech_training"
    decoder_package = "ds_ctcdecoder"
    native_package = "deepspeech"
    # No export module: train.py exports when given --export_dir.
    modules = dict(Engine.modules, train="deepspeech_training.train", evaluate="deepspeech_training.evaluate",
                   export="deepspeech_training.train")
    lacks = {"export_quantize": (True, "always quantises its TFLite export (dynamic range, int8 weights); for a "
                                       "float export bake the project with engine coqui-stt-training.")}
    cannot = {"augment-preview": "0.9.3 has no way to initialise its augmentation code outside a training run "
                                 "(its bin/play.py is not installed); the specs mean the same in both engines, so "
                                 "preview them in a project baked with engine coqui-stt-training, or train with them.",
              "shards": "0.9.3 reads CSV and SDB files only, not tar shards: copy the dataset to each machine's volume "
                        "(`playbook sync pull`), or stream shards in a project baked with engine coqui-stt-training."}
    always_flags = {"show_progressbar": False}
    scorer_loader = "init"
    transcript = staticmethod(lambda result: result[1])  # (confidence, text)

    def flag(self, key, value):
        if key == "augment":
            return ["--augment={}".format(spec) for spec in value]
        if isinstance(value, list):
            value = ",".join(str(v) for v in value)
        elif isinstance(value, bool):
            value = "true" if value else "false"
        return ["--{}={}".format(key, value)]

    def train_flags(self, config, **paths):
        flags = super().train_flags(config, **paths)
        # Without it the engine also makes an empty checkpoint folder under ~/.local/share.
        flags["checkpoint_dir"] = flags["save_checkpoint_dir"]
        return flags

    def augmentation(self, spec):
        name, bracket, parameters = spec.partition("[")
        if name != "warp" or not bracket:
            return spec
        renamed = []
        for parameter in parameters.rstrip("]").split(","):
            key, equals, value = parameter.partition("=")
            renamed.append(WARP_PARAMETERS.get(key, key) + equals + value)
        return "warp[{}]".format(",".join(renamed))
