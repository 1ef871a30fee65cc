"""Checks the starter commands make on run folders before the engine starts (no TensorFlow needed)."""
import json

import pytest


@pytest.fixture()
def playbook(data_root, template_playbook):
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


def test_named_checkpoints_are_checked(playbook, template_playbook):
    run = _run(playbook, "base", ENGLISH)
    export = template_playbook("playbook.export.tflite").export
    with pytest.raises(playbook.UserError, match=r"checkpoint 'newest' is not one of best, last, train-N"):
        export("base", "newest")
    with pytest.raises(playbook.UserError, match=r"run 'base' has no checkpoint train-99"):
        export("base", "train-99")
    assert not (run / ".staging").exists() or not any((run / ".staging").iterdir())


def test_a_taken_run_name_is_refused_first_and_left_as_it_was(playbook, tmp_path):
    run = _run(playbook, "taken", ENGLISH)
    before = (run / "run.json").read_text()
    for start in (lambda: playbook.train("taken", str(tmp_path / "no-dataset")),
                  lambda: playbook.finetune("taken", "taken", str(tmp_path / "no-dataset"))):
        with pytest.raises(playbook.UserError, match=r"run 'taken' already exists in .*; continue it with `make resume RUN=taken`"):
            start()
    assert (run / "run.json").read_text() == before


def test_training_progress_is_summarised_from_the_engines_step_lines(template_playbook):
    """One line per step from the engine becomes a progress line every PROGRESS_SECONDS and one line per epoch."""
    progress_module = template_playbook("playbook.training.progress")
    now = [0.0]
    progress = progress_module.EpochProgress(offset=5, epochs=2, steps_hint=40, clock=lambda: now[0])
    said, records = [], []
    for step in range(1, 41):
        now[0] += 1.0
        line = "Epoch 0 |   Training | Elapsed Time: 0:00:{:02d} | Steps: {} | Loss: {:.6f}\n".format(step // 2, step, 100.0 / step)
        show, text, record = progress.feed(line)
        assert not show and record is None
        said += [text] if text else []
    assert progress.feed("Epoch 0 | Validation | Elapsed Time: 0:00:01 | Steps: 3 | Loss: 9.5 | Dataset: dev.csv\n")[:2] == \
        (False, None)
    assert progress.feed("I Saved new best validating model\n") == (True, None, None)
    show, _, record = progress.feed("-" * 80 + "\n")
    assert show and record == {"epoch": 5, "train_loss": 2.5, "steps": 40, "seconds": 20, "dev_loss": 9.5}
    assert said == ["epoch 6 of 7: step 30 of about 40 (75%), 2.0 steps/s, loss 3.333, about 5 s to go"]
    assert progress.summary(record) == "epoch 6 of 7: train loss 2.500000 (40 steps, 20 s), dev loss 9.500000"
    # Epochs longer than a day: the progress bar's timer says "1 day, 2:03:04".
    progress.feed("Epoch 1 |   Training | Elapsed Time: 1 day, 2:03:04 | Steps: 9 | Loss: 4.0\n")
    assert progress.feed("-" * 80 + "\n")[2]["seconds"] == 93784
    # finish() records the epoch in progress; run_engine calls it only on a clean exit (an early stop), never for
    # a killed or budget-stopped invocation.
    progress.feed("Epoch 2 |   Training | Elapsed Time: 0:00:01 | Steps: 2 | Loss: 3.0\n")
    assert progress.finish()["epoch"] == 7 and progress.finish() is None


def _recordings(root, rows, labels=ENGLISH):
    """A dataset of ROWS one-second recordings in each split, with LABELS as its alphabet."""
    from audio_files import write_wav
    _dataset(root, labels)
    (root / "wav").mkdir()
    for split in ("train", "dev", "test"):
        lines = ["wav_filename,wav_filesize,transcript"]
        for number in range(rows):
            wav = write_wav(root / "wav" / f"{split}-{number}.wav")
            lines.append(f"wav/{wav.name},{wav.stat().st_size},one two")
        (root / f"{split}.csv").write_text("\n".join(lines) + "\n")
    return root


def test_a_training_set_smaller_than_a_batch_is_refused_before_a_run_starts(playbook, template_playbook, tmp_path):
    """Both engines drop the last incomplete batch: 3 rows at train_batch_size 8 would train nothing and say done."""
    small = _recordings(tmp_path / "small", 3)
    base = _run(playbook, "base", ENGLISH).name
    for start in (lambda: playbook.train("tiny", str(small)), lambda: playbook.finetune(base, "tuned", str(small))):
        with pytest.raises(playbook.UserError, match=r"small/train\.csv has 3 rows, fewer than train_batch_size 8: the engine "
                                                     r"trains on whole batches only, so no step would run; .*train_batch_size=3"):
            start()
    assert not (playbook.settings.RUNS / "tiny").exists() and not (playbook.settings.RUNS / "tuned").exists()
    from playbook import config
    from playbook.training.train import steps_per_epoch
    assert steps_per_epoch({"train": small / "train.csv"}, dict(config.defaults(), train_batch_size=2)) == 1  # the third row dropped


def test_a_dataset_without_dev_rows_is_refused_before_a_run_starts(playbook, tmp_path):
    """A one-recording import leaves dev.csv empty: the best checkpoint and early stopping would have no measure."""
    dataset = _recordings(tmp_path / "nodev", 8)
    (dataset / "dev.csv").write_text("wav_filename,wav_filesize,transcript\n")
    with pytest.raises(playbook.UserError, match=r"nodev/dev\.csv has no rows: training picks its best checkpoint by the dev "
                                                 r"set\. Import at least three recordings"):
        playbook.train("nodev", str(dataset))
    assert not (playbook.settings.RUNS / "nodev").exists()


def test_finetune_names_an_alphabet_in_another_order_and_the_fix(playbook):
    """A release orders ' last; a dataset imported without --alphabet orders it first: same labels, other order."""
    from playbook import config
    _run(playbook, "release", ENGLISH)
    with pytest.raises(playbook.UserError, match=r"holds the same 28 labels as run 'release' in another order .*import the "
                                                 r"dataset again with `--alphabet .*/runs/release/alphabet\.txt`"):
        playbook.check_compatible("release", ["'"] + ENGLISH[:-1], config.defaults(), "finetune")
    with pytest.raises(playbook.UserError, match=r"the dataset's alphabet has 24 labels, all of them among run 'release''s 28: "
                                                 r".*`--alphabet .*/runs/release/alphabet\.txt`"):
        playbook.check_compatible("release", [label for label in ENGLISH if label not in "jqz'"], config.defaults(), "finetune")
    with pytest.raises(playbook.UserError, match=r"the new alphabet has 28 labels and run 'release' has 28: fine-tuning needs "
                                                 r"the same alphabet, so use `playbook transfer`"):
        playbook.check_compatible("release", ENGLISH[:1] + ENGLISH[2:] + ["0"], config.defaults(), "finetune")


def test_finetune_from_a_name_that_is_no_run_points_at_import_checkpoint(playbook, tmp_path):
    with pytest.raises(playbook.UserError, match=r"there is no run named 'deepspeech-0.9.3' .*`playbook import-checkpoint "
                                                 r"FOLDER --name deepspeech-0.9.3`"):
        playbook.finetune("deepspeech-0.9.3", "mine", str(tmp_path / "nowhere"))


def test_a_run_is_removed_only_when_the_user_says_so_and_never_while_in_use(playbook, template_playbook, capsys):
    main = template_playbook("playbook.__main__").main
    from playbook.training import runs
    run = _run(playbook, "old", ENGLISH)
    (run / "checkpoints" / "train-10.index").write_bytes(b"x" * 1000)
    cache = playbook.settings.CACHE / "old"
    cache.mkdir(parents=True)
    (cache / "features.data").write_bytes(b"y" * 5000)
    exports = playbook.settings.EXPORTS / "old" / "train-10"
    exports.mkdir(parents=True)
    assert main(["runs", "rm", "old"]) == 2  # no terminal to ask on, no --yes
    assert "removing run 'old' (0.0 MB with its feature cache) cannot be undone; say so with --yes." in capsys.readouterr().err
    assert run.is_dir() and cache.is_dir()
    assert runs.remove("old", ask=lambda question: "n") == {"run": "old", "removed": False} and run.is_dir()
    with runs.lock("old", "playbook train --run old"):
        assert main(["runs", "rm", "old", "--yes"]) == 2
        assert "run 'old' is in use by another command (pid" in capsys.readouterr().err and run.is_dir()
    assert main(["runs", "rm", "old", "--yes"]) == 0
    removed = json.loads(capsys.readouterr().out)
    assert removed["removed"] and removed["bytes"] >= 6000 and removed["exports_kept"] == str(exports.parent)
    assert not run.exists() and not cache.exists() and exports.is_dir()
    assert not list(playbook.settings.RUNS.glob(".old*"))
    assert main(["runs", "rm"]) == 2 and "say which run to remove" in capsys.readouterr().err


def test_resume_if_exists_knows_a_run_streamed_from_a_pipe_source(playbook, capsys):
    """A `pipe:` source is text, not a path: a preempted job restarted with the same --dataset continues its run (it
    was refused, the source taken for a folder under the current one), and another source is still refused."""
    from playbook import config
    source = "pipe:rclone cat practice:speech/playbook/shards/sample"
    run = _run(playbook, "streamed", ENGLISH)
    (run / "config.toml").write_text(config.to_toml(dict(config.defaults(), epochs=1)))
    (run / "run.json").write_text(json.dumps({"run": "streamed", "kind": "fresh", "dataset": source}))
    (run / "epochs.jsonl").write_text(json.dumps({"epoch": 0, "train_loss": 90.0, "steps": 27, "dev_loss": 80.0}) + "\n")
    summary = playbook.train("streamed", source, overrides=["epochs=1"], resume_if_exists=True)
    assert summary["epochs"] == 1 and "has trained 1 of its 1 epochs; nothing to do" in capsys.readouterr().out
    other = source.replace("sample", "other")
    with pytest.raises(playbook.UserError, match=rf"run 'streamed' trains on {source}, not {other}; --resume-if-exists"):
        playbook.train("streamed", other, overrides=["epochs=1"], resume_if_exists=True)
