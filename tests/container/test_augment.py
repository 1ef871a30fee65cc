"""Augmentation specs are checked against the engine's grammar before anything starts, naming the bad part."""
import re

import pytest


@pytest.fixture()
def augment(template_playbook):
    return template_playbook("playbook.augment.specs")


@pytest.fixture()
def config(template_playbook):
    return template_playbook("playbook.config")


@pytest.mark.parametrize("spec, message", [
    ("volum[p=0.1]", "unknown augmentation 'volum' (did you mean volume?)"),
    ("volume[p=0.1,dbf=-10]", "volume has no parameter 'dbf'; its parameters are: p, dbfs"),
    ("volume[p=1.5]", "parameter 'p' = '1.5' is not a probability"),
    ("frequency_mask[n=1.5]", "parameter 'n' = '1.5' is not a value range of whole numbers"),
    ("volume[dbfs=1:2:3]", "has more than one ':'"),
    ("volume[dbfs=-10~2~1]", "has more than one '~'"),
    ("pitch[pitch=high]", "'pitch' = 'high' is not a value range of numbers"),
    ("overlay[p=0.5]", "overlay needs source"),
    ("time_mask[domain=features]", "is not a domain of time_mask; use signal or spectrogram"),
    ("volume[p]", "'p' is not key=value"),
    ("volume[p=0.1,p=0.2]", "parameter 'p' is given twice"),
    ("Volume", "not an augmentation; write name[key=value,...]"),
    ("volume p=0.1", "not an augmentation"),
    ("volume[]", "empty brackets"),
])
def test_bad_specs_are_refused_naming_spec_and_part(config, template_playbook, spec, message):
    errors = template_playbook("playbook.errors")
    with pytest.raises(errors.UserError) as raised:
        config.resolve(overrides=[f"augment={spec}"])
    text = str(raised.value)
    assert f"augment[1] '{spec}'" in text or "augment[1]" in text, text
    assert message in text, text


@pytest.mark.parametrize("spec", [
    "volume", "volume[p=0.1,dbfs=-10:-40]", "reverb[p=0.1,delay=50.0~30.0,decay=10.0:2.0~1.0]",
    "resample[p=0.1,rate=12000:8000~4000]", "codec[p=0.1,bitrate=48000:16000]", "pitch[p=0.1,pitch=1~0.2]",
    "tempo[p=0.1,factor=1~0.5,max_time=-1]", "warp[p=0.1,num_t=4,num_f=1,warp_t=0.5:1.0,warp_f=0.1:0.2]",
    "frequency_mask[p=0.1,n=1:3,size=1:5]", "time_mask[p=0.1,domain=signal,n=3:10~2,size=50:100~40]",
    "dropout[p=0.1,rate=0.05]", "add[p=0.1,domain=signal,stddev=0~0.5]", "multiply[p=0.1,domain=features,stddev=0~0.5]",
    "overlay[p=0.5,source=noise.csv,layers=1,snr=50:20~10]", "volume[p=.5,dbfs=-1e1]",
])
def test_the_engine_documentations_examples_are_accepted(augment, spec):
    assert augment.parse(spec)[0] == spec.split("[")[0]


def test_presets_expand_and_every_preset_spec_is_valid(augment, config):
    resolved = config.resolve(overrides=['augment=["preset:light", "reverb[p=0.1]"]'])["augment"]
    assert resolved == augment.PRESETS["light"] + ["reverb[p=0.1]"]
    for name, specs in augment.PRESETS.items():
        for spec in specs:
            augment.parse(spec, f"preset {name}")
    assert {augment.parse(spec)[0] for spec in augment.PRESETS["all"]} == set(augment.AUGMENTATIONS)


def test_toml_tables_become_specs(config, tmp_path):
    path = tmp_path / "run.toml"
    path.write_text('augment = [{name = "volume", p = 0.1, dbfs = "-10:-40"}, "preset:telephone"]\n')
    resolved = config.resolve(config_file=path)["augment"]
    assert resolved[0] == "volume[p=0.1,dbfs=-10:-40]"
    assert len(resolved) == 1 + 4


def test_a_frozen_feature_cache_is_warned_about(augment, config):
    frozen = config.resolve(overrides=["augment=preset:light", "feature_cache=true"])
    assert "cache_for_epochs" in augment.cache_warning(frozen)
    assert augment.cache_warning(config.resolve(overrides=["augment=preset:light", "feature_cache=true",
                                                           "cache_for_epochs=3"])) is None
    assert augment.cache_warning(config.resolve(overrides=["feature_cache=true"])) is None


def test_the_chapter_table_is_the_code(augment):
    from harness.bake import TEMPLATE
    text = (TEMPLATE / "{{cookiecutter.project_slug}}" / "docs" / "augmentation.md").read_text()
    table = re.search(r"<!-- augmentations-table:start -->\n(.*?)<!-- augmentations-table:end -->", text, re.S).group(1)
    assert table == augment.markdown_table()


def test_chapter_table_lists_every_augmentation_and_parameter(augment):
    table = augment.markdown_table()
    for name, (_, params) in augment.AUGMENTATIONS.items():
        assert f"| `{name}` |" in table
        for key in params:
            assert re.search(rf"\| `{key}` \|", table)


@pytest.mark.container
def test_the_table_is_the_engines_own(cpu_image, docker_engine, augment):
    """Every augmentation class of the engine, its parameters and defaults, as the table has them."""
    import json
    script = (
        "import inspect, json\n"
        "from coqui_stt_training.util import augmentations as a\n"
        "out = {}\n"
        "for name, cls in vars(a).items():\n"
        "    if inspect.isclass(cls) and issubclass(cls, a.Augmentation) and cls.__module__ == a.__name__ \\\n"
        "            and cls not in (a.Augmentation, a.SampleAugmentation, a.GraphAugmentation, a.NormalizeSampleRate):\n"
        "        params = inspect.signature(cls.__init__).parameters\n"
        "        out[name] = {k: None if v.default is inspect.Parameter.empty else v.default for k, v in params.items() if k != 'self'}\n"
        "print(json.dumps(out))\n")
    output = docker_engine.docker("run", "--rm", "--entrypoint", "/opt/venv/bin/python", cpu_image, "-c", script).stdout
    engine = json.loads(output.strip().splitlines()[-1])
    camel = {"".join(part.capitalize() for part in name.split("_")): name for name in augment.AUGMENTATIONS}
    assert sorted(engine) == sorted(camel), "the engine's augmentations are not the table's"
    for cls, params in engine.items():
        ours = augment.AUGMENTATIONS[camel[cls]][1]
        assert set(params) == set(ours), (cls, sorted(params), sorted(ours))
        for key, default in params.items():
            expected = None if default is None else (
                "~".join([str(default[0]), str(default[2])]) if isinstance(default, list) and len(default) == 3 else str(default))
            assert ours[key].default == expected, (cls, key, default, ours[key].default)
