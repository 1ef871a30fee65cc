"""Augmentations: the engine's twelve, checked against its grammar before anything starts.

A spec is what the engine's `--augment` takes: `name[key=value,...]`, for example
`volume[p=0.1,dbfs=-10:-40]`. A value is a constant `v`, a random spread `v~r`
(uniform in [v-r, v+r]), a schedule `a:b` (from a at the start of training to b at
the end) or both, `a:b~r`. Integer parameters take whole numbers only.

The table below is coqui-stt-training 1.4.0's `util/augmentations.py`, class by class
(a container test compares it with the engine's own signatures). This module is
standard library only: it is imported by both interpreters.
"""
import re
from collections import OrderedDict

from .. import settings
from ..errors import UserError

# The engine's own pattern (SPEC_PARSER): a snake_case name, then optional [params].
SPEC = re.compile(r"^(?P<name>[a-z_]+)(\[(?P<params>.*)\])?$")
NUMBER = r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?"
WHOLE = r"[-+]?\d+"
DOMAINS = ("signal", "spectrogram", "features")


class Param(object):
    def __init__(self, kind, default, what, domains=DOMAINS):
        # kind: "float range", "int range", "float", "probability", "domain" or "source"
        self.kind, self.default, self.what, self.domains = kind, default, what, domains


def _p():
    return Param("probability", "1.0", "probability that a sample gets this augmentation")


# name -> (domain, {param: Param}). Domain "sample" means applied to the audio in the
# data loader (NumPy); the others are parts of the TensorFlow graph.
AUGMENTATIONS = OrderedDict([
    ("overlay", ("sample", OrderedDict([
        ("p", _p()),
        ("source", Param("source", None, "required: a CSV (or SDB) of audio to mix in: noise, speech, music")),
        ("snr", Param("float range", "3.0", "signal-to-noise ratio in dB; lower is noisier")),
        ("layers", Param("int range", "1", "how many overlay samples are mixed in at once")),
    ]))),
    ("reverb", ("sample", OrderedDict([
        ("p", _p()),
        ("delay", Param("float range", "20.0", "ms between the reflections")),
        ("decay", Param("float range", "10.0", "dB of attenuation per reflection; lower echoes longer")),
    ]))),
    ("resample", ("sample", OrderedDict([
        ("p", _p()),
        ("rate", Param("int range", "8000", "Hz to resample to and back: loses the frequencies above rate/2")),
    ]))),
    ("codec", ("sample", OrderedDict([
        ("p", _p()),
        ("bitrate", Param("int range", "3200", "bits per second of an Opus encode and decode; lower is worse")),
    ]))),
    ("volume", ("sample", OrderedDict([
        ("p", _p()),
        ("dbfs", Param("float range", "3.0103", "target loudness in dBFS (0 is full scale; -40 is quiet)")),
    ]))),
    ("pitch", ("spectrogram", OrderedDict([
        ("p", _p()),
        ("pitch", Param("float range", "1.075~0.125", "pitch factor: 1.0 leaves the pitch, 1.2 raises it by a fifth")),
    ]))),
    ("tempo", ("spectrogram", OrderedDict([
        ("p", _p()),
        ("factor", Param("float range", "1.1", "speed factor: above 1 is faster")),
        ("max_time", Param("float", "-1", "longest result in seconds; -1 means no limit")),
    ]))),
    ("warp", ("spectrogram", OrderedDict([
        ("p", _p()),
        ("num_t", Param("int range", "1", "control points along time")),
        ("num_f", Param("int range", "1", "control points along frequency")),
        ("warp_t", Param("float range", "0.1", "largest shift along time, as a fraction")),
        ("warp_f", Param("float range", "0.0", "largest shift along frequency, as a fraction")),
    ]))),
    ("frequency_mask", ("spectrogram", OrderedDict([
        ("p", _p()),
        ("n", Param("int range", "3", "how many bands are masked")),
        ("size", Param("int range", "2", "width of each band, in spectrogram bins")),
    ]))),
    ("time_mask", ("spectrogram", OrderedDict([
        ("p", _p()),
        # The engine accepts features too, but its mask is then shaped wrongly for the features tensor.
        ("domain", Param("domain", "spectrogram", "signal or spectrogram", domains=("signal", "spectrogram"))),
        ("n", Param("int range", "3", "how many intervals are masked")),
        ("size", Param("float range", "10.0", "length of each interval in ms")),
    ]))),
    ("dropout", ("spectrogram", OrderedDict([
        ("p", _p()),
        ("domain", Param("domain", "spectrogram", "signal, spectrogram or features")),
        ("rate", Param("float range", "0.05", "fraction of values set to zero")),
    ]))),
    ("add", ("features", OrderedDict([
        ("p", _p()),
        ("domain", Param("domain", "features", "signal, spectrogram or features")),
        ("stddev", Param("float range", "5", "standard deviation of the Gaussian noise added")),
    ]))),
    ("multiply", ("features", OrderedDict([
        ("p", _p()),
        ("domain", Param("domain", "features", "signal, spectrogram or features")),
        ("stddev", Param("float range", "5", "standard deviation of the Gaussian factor around 1")),
    ]))),
])
SAMPLE_DOMAIN = [name for name, (domain, _) in AUGMENTATIONS.items() if domain == "sample"]

# Where `playbook noise` writes the synthetic overlay source every fresh project can use.
SYNTHETIC_NOISE = str(settings.NOISE / "synthetic" / "noise.csv")

# Named presets: each expands into a list of specs. `all` uses every augmentation once,
# gently, to show that each one runs.
PRESETS = OrderedDict([
    ("light", [
        "volume[p=0.2,dbfs=-10:-30]",
        "pitch[p=0.1,pitch=1~0.1]",
        "tempo[p=0.1,factor=1~0.1]",
        "frequency_mask[p=0.2,n=1:2,size=1:3]",
        "time_mask[p=0.2,n=1:3,size=10:40]",
    ]),
    ("noisy-environment", [
        "overlay[p=0.5,source={},layers=1,snr=30:10~5]".format(SYNTHETIC_NOISE),
        "reverb[p=0.2,delay=50~30,decay=10:4~2]",
        "volume[p=0.2,dbfs=-10:-35]",
        "add[p=0.2,domain=signal,stddev=0~0.005]",
    ]),
    ("telephone", [
        "resample[p=0.5,rate=8000]",
        "codec[p=0.5,bitrate=16000:8000~2000]",
        "volume[p=0.2,dbfs=-15:-30]",
        "frequency_mask[p=0.2,n=1,size=1:3]",
    ]),
    ("all", [
        "overlay[p=0.3,source={},snr=20~5]".format(SYNTHETIC_NOISE),
        "reverb[p=0.2,delay=30~10,decay=10~2]",
        "resample[p=0.2,rate=12000:8000]",
        "codec[p=0.2,bitrate=16000]",
        "volume[p=0.2,dbfs=-20~5]",
        "pitch[p=0.1,pitch=1~0.1]",
        "tempo[p=0.1,factor=1~0.1]",
        "warp[p=0.1,num_t=2,num_f=1,warp_t=0.1,warp_f=0.05]",
        "frequency_mask[p=0.2,n=1:2,size=1:3]",
        "time_mask[p=0.2,domain=signal,n=1:3,size=20:50]",
        "dropout[p=0.1,rate=0.02]",
        "add[p=0.1,domain=features,stddev=0~0.2]",
        "multiply[p=0.1,domain=features,stddev=0~0.1]",
    ]),
])
PRESET_PREFIX = "preset:"


def _check_value(where, name, key, param, value):
    """Raise a UserError naming the spec and the parameter unless value is valid for param."""
    def bad(why):
        return UserError("{}: {} parameter '{}' = '{}' {}.".format(where, name, key, value, why))
    if param.kind == "source":
        if not value:
            raise bad("is empty; give the path of a CSV of audio (playbook noise makes one)")
        return
    if param.kind == "domain":
        if value not in param.domains:
            raise bad("is not a domain of {}; use {}".format(name, " or ".join(param.domains)))
        return
    if param.kind in ("float", "probability"):
        if not re.match("^{}$".format(NUMBER), value):
            raise bad("is not a number")
        if param.kind == "probability" and not 0 <= float(value) <= 1:
            raise bad("is not a probability; use a number from 0 to 1")
        return
    number = WHOLE if param.kind == "int range" else NUMBER
    kind = "whole numbers" if param.kind == "int range" else "numbers"
    spread = value.split("~")
    if len(spread) > 2:
        raise bad("has more than one '~'; write v, v~r, a:b or a:b~r")
    ends = spread[0].split(":")
    if len(ends) > 2:
        raise bad("has more than one ':'; write v, v~r, a:b or a:b~r")
    for part in ends + spread[1:]:
        if not re.match("^{}$".format(number), part.strip()):
            raise bad("is not a value range of {}: write v, v~r (uniform in v-r..v+r), a:b (a at the start of "
                      "training, b at the end) or a:b~r".format(kind))


def parse(spec, where="augment"):
    """(name, {param: value}) of one spec, or a UserError that names the bad part."""
    where = "{} '{}'".format(where, spec)
    match = SPEC.match(spec.strip())
    if not match:
        raise UserError("{}: not an augmentation; write name[key=value,...], for example volume[p=0.1,dbfs=-10:-40] "
                        "(quote it in a shell: [ is a glob character).".format(where))
    name = match.group("name")
    if name not in AUGMENTATIONS:
        close = [known for known in AUGMENTATIONS if known[:3] == name[:3]]
        raise UserError("{}: unknown augmentation '{}'{}; the engine has: {}.".format(
            where, name, " (did you mean {}?)".format(" or ".join(close)) if close else "", ", ".join(AUGMENTATIONS)))
    params = AUGMENTATIONS[name][1]
    values = OrderedDict()
    text = match.group("params")
    if text is not None and not text.strip():
        raise UserError("{}: empty brackets, which the engine cannot parse; write {} alone or {}[key=value,...].".format(
            where, name, name))
    for item in ([] if text is None else text.split(",")):
        key, sep, value = (part.strip() for part in item.partition("="))
        if not sep:
            raise UserError("{}: '{}' is not key=value; the parameters of {} are: {}.".format(
                where, item.strip(), name, ", ".join(params)))
        if "=" in value:
            raise UserError("{}: '{}' has more than one '='.".format(where, item.strip()))
        if key not in params:
            raise UserError("{}: {} has no parameter '{}'; its parameters are: {}.".format(where, name, key, ", ".join(params)))
        if key in values:
            raise UserError("{}: parameter '{}' is given twice.".format(where, key))
        _check_value(where, name, key, params[key], value)
        values[key] = value
    missing = [key for key, param in params.items() if param.default is None and key not in values]
    if missing:
        raise UserError("{}: {} needs {} (for example {}[p=0.5,source={}]).".format(
            where, name, " and ".join(missing), name, SYNTHETIC_NOISE))
    return name, values


def spec_of(entry, where):
    """A TOML inline table {name = "volume", p = 0.1, dbfs = "-10:-40"} as a spec string."""
    if isinstance(entry, str):
        return entry.strip()
    if isinstance(entry, dict):
        if "name" not in entry:
            example = '{ name = "volume", p = 0.1, dbfs = "-10:-40" }'  # (no doubled braces: this file is a template)
            raise UserError("{}: {!r} has no name; write {}.".format(where, entry, example))
        params = ",".join("{}={}".format(key, _toml_scalar(value)) for key, value in entry.items() if key != "name")
        return "{}[{}]".format(entry["name"], params) if params else str(entry["name"])
    raise UserError("{}: {!r} is neither a spec string nor a table.".format(where, entry))


def _toml_scalar(value):
    if isinstance(value, bool):
        raise UserError("augmentation parameters are numbers, ranges or paths, not true/false ({!r}).".format(value))
    return repr(value) if isinstance(value, float) else str(value)


def expand(entries, where="augment"):
    """Specs of a config's `augment` list: tables become specs, `preset:NAME` its specs; each one checked."""
    specs = []
    for number, entry in enumerate(entries, 1):
        place = "{}[{}]".format(where, number)
        spec = spec_of(entry, place)
        if spec.startswith(PRESET_PREFIX):
            preset = spec[len(PRESET_PREFIX):]
            if preset not in PRESETS:
                raise UserError("{}: unknown preset '{}'; presets: {}.".format(place, preset, ", ".join(PRESETS)))
            specs.extend(PRESETS[preset])
            continue
        parse(spec, place)
        specs.append(spec)
    return specs


def sources(specs):
    """The overlay sources the specs read (they must exist before training starts)."""
    parsed = [parse(spec) for spec in specs]
    return [values["source"] for name, values in parsed if name == "overlay"]


def cache_warning(config):
    """The engine freezes augmentations in a feature cache that is never refreshed: say so."""
    if config.get("augment") and config.get("feature_cache") and not config.get("cache_for_epochs"):
        return ("feature_cache is on and cache_for_epochs is 0: the features of the first epoch, augmented once, are "
                "reused every epoch, so the augmentations stop varying. Set cache_for_epochs (e.g. 2-5) or turn "
                "feature_cache off.")
    return None


def markdown_table():
    """Every augmentation with its parameters and defaults (for the Augmentation chapter)."""
    rows = ["| augmentation | domain | parameter | default | meaning |", "|---|---|---|---|---|"]
    for name, (domain, params) in AUGMENTATIONS.items():
        for number, (key, param) in enumerate(params.items()):
            rows.append("| {} | {} | `{}` | {} | {} |".format(
                "`{}`".format(name) if number == 0 else "", domain if number == 0 else "", key,
                "required" if param.default is None else "`{}`".format(param.default), param.what))
    return "\n".join(rows) + "\n"
