"""playbook/engines: every flag of every phase, for both engines, from the run config (no engine needed)."""
import pytest


@pytest.fixture()
def engines(template_playbook):
    return template_playbook("playbook.engines")


@pytest.fixture()
def config(template_playbook):
    return template_playbook("playbook.config")


PATHS = dict(train_csv="/d/train.csv", dev_csv="/d/dev.csv", alphabet="/r/alphabet.txt", save_dir="/r/checkpoints",
             load_dir="/r/checkpoints", load="init", epochs=3, summary_dir="/r/checkpoints/summaries")


def _command(engine, phase, flags):
    return engine.command("python", phase, flags)


def test_settings_reach_exactly_the_phases_they_name(engines, config):
    engine = engines.by_name("coqui-stt-training")
    settings = config.defaults()
    train = engine.train_flags(settings, **PATHS)
    evaluate = engine.evaluate_flags(settings, checkpoint_dir="/s", load="best", test_csv="/d/test.csv",
                                     alphabet="/r/alphabet.txt", output="/r/e.json", beam_width=500)
    export = engine.export_flags(settings, checkpoint_dir="/s", load="best", alphabet="/r/alphabet.txt", export_dir="/x",
                                 quantize=True)
    for flags in (train, evaluate, export):
        assert flags["n_hidden"] == 192  # a model-shape setting reaches every phase by the same route
    assert "train_batch_size" in train and "train_batch_size" not in evaluate and "train_batch_size" not in export
    assert "test_batch_size" in evaluate and "test_batch_size" not in train
    assert "export_author_id" in export and "export_author_id" not in train
    assert "resume_epochs" not in train and train["epochs"] == 3  # playbook's own setting, not a flag
    for name, key in config.KEYS.items():
        for phase, flags in (("train", train), ("evaluate", evaluate), ("export", export)):
            if name not in ("feature_cache", "augment"):
                assert (name in flags) == (phase in key.phases), (name, phase)


def test_each_engine_writes_flags_its_own_way(engines, config):
    settings = dict(config.defaults(), augment=["warp[p=0.1,num_t=4,warp_t=0.5]", "volume[p=0.1]"])
    coqui = _command(engines.by_name("coqui-stt-training"), "train", engines.by_name("coqui-stt-training").train_flags(settings, **PATHS))
    assert coqui[:4] == ["python", "-u", "-m", "coqui_stt_training.train"]
    assert coqui[coqui.index("--train_files") + 1] == "/d/train.csv"
    assert coqui[coqui.index("--early_stop") + 1] == "false"
    position = coqui.index("--augment")
    assert coqui[position + 1:position + 3] == ["warp[p=0.1,num_t=4,warp_t=0.5]", "volume[p=0.1]"]
    assert coqui[coqui.index("--skip_batch_test") + 1] == "true"

    deepspeech = engines.by_name("deepspeech-training")
    command = _command(deepspeech, "train", deepspeech.train_flags(settings, **PATHS))
    assert command[:4] == ["python", "-u", "-m", "deepspeech_training.train"]
    assert "--train_files=/d/train.csv" in command and "--early_stop=false" in command
    # absl: one --augment per spec; warp's parameters under DeepSpeech 0.9.3's names.
    assert [a for a in command if a.startswith("--augment")] == ["--augment=warp[p=0.1,nt=4,wt=0.5]", "--augment=volume[p=0.1]"]
    assert "--checkpoint_dir=/r/checkpoints" in command and not any(a.startswith("--skip_batch_test") for a in command)


def test_an_engine_refuses_a_setting_it_lacks_in_one_sentence(engines, config):
    deepspeech, coqui = engines.by_name("deepspeech-training"), engines.by_name("coqui-stt-training")
    settings = dict(config.defaults(), export_quantize=False)
    with pytest.raises(engines.UserError, match=r"^export_quantize = false: deepspeech-training always quantises its TFLite "
                                                r"export .*; for a float export bake the project with engine coqui-stt-training\.$"):
        deepspeech.check(settings)
    with pytest.raises(engines.UserError, match="export_quantize = false"):
        deepspeech.export_flags(config.defaults(), checkpoint_dir="/s", load="best", alphabet="/a", export_dir="/x",
                                quantize=False)
    coqui.check(settings)
    flags = coqui.export_flags(config.defaults(), checkpoint_dir="/s", load="best", alphabet="/a", export_dir="/x", quantize=False)
    assert flags["export_quantize"] is False
    assert "export_quantize" not in deepspeech.export_flags(config.defaults(), checkpoint_dir="/s", load="best", alphabet="/a",
                                                           export_dir="/x", quantize=True)
    with pytest.raises(engines.UserError, match=r"^augment-preview: deepspeech-training 0.9.3 has no way"):
        deepspeech.require("augment-preview")
    coqui.require("augment-preview")


def test_phases_run_the_engines_modules(engines):
    deepspeech, coqui = engines.by_name("deepspeech-training"), engines.by_name("coqui-stt-training")
    assert deepspeech.modules["export"] == "deepspeech_training.train"  # 0.9.3 exports from train.py
    assert coqui.modules["export"] == "coqui_stt_training.export"
    assert deepspeech.beam_width_flag == "beam_width" and coqui.beam_width_flag == "export_beam_width"
    with pytest.raises(engines.UserError, match="unknown engine 'kaldi'"):
        engines.by_name("kaldi")


def test_import_reads_either_engines_flags_and_refuses_an_incomplete_folder(template_playbook, tmp_path, data_root):
    imports = template_playbook("playbook.training.imports")
    (tmp_path / "coqui").mkdir()
    (tmp_path / "coqui" / "flags.txt").write_text('{"n_hidden": 2048, "train_cudnn": true}')
    assert imports.read_flags(tmp_path / "coqui" / "flags.txt") == ("coqui-stt-training", {"n_hidden": 2048, "train_cudnn": True})
    (tmp_path / "ds").mkdir()
    (tmp_path / "ds" / "flags.txt").write_text("--n_hidden=2048\n--train_cudnn\n--noearly_stop\n")
    assert imports.read_flags(tmp_path / "ds" / "flags.txt") == (
        "deepspeech-training", {"n_hidden": "2048", "train_cudnn": "true", "early_stop": "false"})
    assert imports.read_flags(tmp_path / "none.txt") == (None, {})
    with pytest.raises(imports.UserError, match=r"holds no checkpoint \(no \*\.index file\)"):
        imports.inspect(tmp_path / "ds")
    (tmp_path / "ds" / "best_dev-5.index").write_text("")
    (tmp_path / "ds" / "checkpoint").write_text('model_checkpoint_path: "/elsewhere/best_dev-5"\n')
    with pytest.raises(imports.UserError, match=r"lacks best_dev-5\.data-00000-of-00001, best_dev-5\.meta of checkpoint best_dev-5"):
        imports.inspect(tmp_path / "ds")
    with pytest.raises(imports.UserError, match=r"is not a folder"):
        imports.inspect(tmp_path / "missing")
