"""Checks the starter commands make on run folders before the engine starts (no TensorFlow needed)."""
import json

import pytest


@pytest.fixture()
def playbook(monkeypatch, tmp_path, template_playbook):
    monkeypatch.setenv("PLAYBOOK_DATA", str(tmp_path / "data"))
    return template_playbook("playbook.training")


def _dataset(root, labels):
    root.mkdir(parents=True)
    for split in ("train", "dev", "test"):
        (root / f"{split}.csv").write_text("wav_filename,wav_filesize,transcript\n")
    (root / "alphabet.txt").write_text("".join(f"{label}\n" for label in labels))
    return root


def _run(playbook, name, labels, flags=None):
    from playbook import config
    run = playbook.settings.RUNS / name
    (run / "checkpoints").mkdir(parents=True)
    (run / "config.toml").write_text(config.to_toml(config.defaults()))
    (run / "run.json").write_text(json.dumps({"run": name, "dataset": "/nowhere"}))
    (run / "alphabet.txt").write_text("".join(f"{label}\n" for label in labels))
    if flags is not None:
        (run / "checkpoints" / "flags.txt").write_text(json.dumps(flags))
    return run


ENGLISH = [" "] + [chr(c) for c in range(97, 123)] + ["'"]


def test_cudnn_checkpoints_are_loaded_with_load_cudnn_on_a_cpu(playbook, tmp_path):
    """A CuDNN-trained source (release checkpoints are) loads into the CPU graph with load_cudnn, not a refusal."""
    from playbook import config
    release = _run(playbook, "release", ENGLISH)
    (release / "config.toml").write_text(config.to_toml(dict(config.defaults(), train_cudnn=True)))
    fresh = _run(playbook, "fresh-run", ENGLISH)
    tuned_config = config.defaults()
    _, load_cudnn = playbook.check_compatible("release", ENGLISH, tuned_config, "finetune")
    assert load_cudnn
    _, load_cudnn = playbook.check_compatible(fresh.name, ENGLISH, tuned_config, "finetune")
    assert not load_cudnn
    with pytest.raises(playbook.UserError, match=r"fine-tuning needs the same alphabet, so use `playbook transfer`"):
        playbook.check_compatible("release", ENGLISH + ["0"], tuned_config, "finetune")
    with pytest.raises(playbook.UserError, match=r"run 'release' was trained with n_hidden 192, not 2048"):
        playbook.check_compatible("release", ENGLISH, dict(tuned_config, n_hidden=2048), "finetune")


def test_transfer_refuses_an_impossible_layer_count(playbook, tmp_path):
    _run(playbook, "base", ENGLISH)
    with pytest.raises(playbook.UserError, match=r"--drop-layers must be 1 to 5"):
        playbook.transfer("base", "t", str(_dataset(tmp_path / "d", ENGLISH + ["0"])), drop_layers=6)


def test_train_refuses_a_dataset_without_its_files(playbook, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(playbook.UserError, match=r"empty/train.csv is missing"):
        playbook.train("fresh", str(empty))
    assert not (playbook.settings.RUNS / "fresh").exists()


def test_named_checkpoints_are_checked(playbook):
    run = _run(playbook, "base", ENGLISH)
    with pytest.raises(playbook.UserError, match=r"checkpoint 'newest' is not one of best, last, train-N"):
        playbook.export("base", "newest")
    with pytest.raises(playbook.UserError, match=r"run 'base' has no checkpoint train-99"):
        playbook.export("base", "train-99")
    assert not (run / ".staging").exists() or not any((run / ".staging").iterdir())


def test_a_taken_run_name_is_refused_first_and_left_as_it_was(playbook, tmp_path):
    run = _run(playbook, "taken", ENGLISH)
    before = (run / "run.json").read_text()
    for start in (lambda: playbook.train("taken", str(tmp_path / "no-dataset")),
                  lambda: playbook.finetune("taken", "taken", str(tmp_path / "no-dataset"))):
        with pytest.raises(playbook.UserError, match=r"run 'taken' already exists in .*; continue it with `make resume RUN=taken`"):
            start()
    assert (run / "run.json").read_text() == before
