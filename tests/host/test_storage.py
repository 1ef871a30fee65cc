"""storage.building: everything a command makes is written under a partial name and renamed when complete."""
import pytest


@pytest.fixture()
def storage(template_playbook, data_root):
    return template_playbook("playbook.storage")


def test_a_folder_appears_under_its_name_only_when_complete(storage, data_root):
    target = data_root / "exports" / "demo"
    with storage.building(target) as partial:
        assert partial.name == "demo.partial" and partial.is_dir() and not target.exists()
        (partial / "output_graph.tflite").write_bytes(b"model")
    assert (target / "output_graph.tflite").read_bytes() == b"model" and not partial.exists()


def test_a_failed_block_leaves_no_target_and_keeps_its_partial_for_the_next_attempt(storage, data_root):
    target = data_root / "datasets" / "mine"
    with pytest.raises(OSError):
        with storage.building(target, reuse=True) as partial:
            (partial / "audio").mkdir()
            (partial / "audio" / "converted.wav").write_bytes(b"kept")
            raise OSError(28, "No space left on device")
    assert not target.exists()
    with storage.building(target, reuse=True) as partial:  # the same command again reuses what was converted
        assert (partial / "audio" / "converted.wav").read_bytes() == b"kept"
    assert (target / "audio" / "converted.wav").exists()


def test_a_fresh_build_starts_empty_and_never_replaces_a_folder_that_appeared(storage, data_root):
    target = data_root / "lm" / "sample"
    (data_root / "lm" / "sample.partial").mkdir(parents=True)
    (data_root / "lm" / "sample.partial" / "stale").write_text("from a killed build")
    with pytest.raises(OSError):
        with storage.building(target) as partial:
            assert list(partial.iterdir()) == []
            (partial / "kenlm.scorer").write_text("new")
            target.mkdir()
            (target / "kenlm.scorer").write_text("the user's")
    assert (target / "kenlm.scorer").read_text() == "the user's"


def test_a_file_is_replaced_whole_or_not_at_all(storage, data_root):
    target = data_root / "config.toml"
    target.write_text("epochs = 1\n")
    with pytest.raises(KeyboardInterrupt):
        with storage.building(target, folder=False) as partial:
            partial.write_text("epochs = 2\n")
            raise KeyboardInterrupt
    assert target.read_text() == "epochs = 1\n"
    with storage.building(target, folder=False) as partial:
        partial.write_text("epochs = 3\n")
    assert target.read_text() == "epochs = 3\n" and not partial.exists()


def test_a_hidden_partial_stays_out_of_listings(storage, data_root):
    with storage.building(data_root / "runs" / "release", hidden=True) as partial:
        assert partial.name == ".release.partial"
    assert (data_root / "runs" / "release").is_dir()
