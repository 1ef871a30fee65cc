"""A shard source as `--dataset` (playbook/data/shards.py): how it is told from a CSV dataset, what the engine is
given for it, and the one sentence for each source it cannot read. Writing shards and training on them streamed
from a bucket is the Cloud chapter's ("Data too big to copy"), run in the container."""
import json

import pytest


@pytest.fixture()
def shards(data_root, template_playbook):
    return template_playbook("playbook.data.shards")


def _shard_folder(root, splits):
    root.mkdir(parents=True)
    (root / "alphabet.txt").write_text(" \na\nb\n")
    (root / "shards.json").write_text(json.dumps({"splits": splits}))
    return root


def test_a_shard_folder_gives_the_engine_brace_patterns_and_its_manifest_counts_the_rows(shards, tmp_path):
    assert shards.pattern("train", 42) == "train-{000000..000041}.tar" and shards.pattern("dev", 1) == "dev-000000.tar"
    folder = _shard_folder(tmp_path / "sample", {
        "train": {"samples": 222, "shards": 7, "pattern": shards.pattern("train", 7)},
        "dev": {"samples": 10, "shards": 1, "pattern": "dev-000000.tar"}})
    assert shards.is_source(folder) and not shards.is_source(tmp_path)
    files = shards.source_files(folder)
    assert files["train"] == f"{folder}/train-{{000000..000006}}.tar" and files["dev"] == f"{folder}/dev-000000.tar"
    assert files["rows"] == {"train": 222, "dev": 10} and files["alphabet"] == folder / "alphabet.txt"
    assert files["shard_cache"] is None  # local shards are read where they are


def test_a_dataset_with_its_own_manifest_is_not_a_shard_source(shards, tmp_path):
    (tmp_path / "sample").mkdir()
    (tmp_path / "sample" / "manifest.json").write_text("{}")  # what `playbook sample` and imports write
    assert not shards.is_source(tmp_path / "sample")


@pytest.mark.parametrize("source, says", [
    ("s3://bucket/shards/sample", "reads shards from `pipe:` URLs, not s3 ones: write pipe:rclone cat REMOTE:path"),
    ("https://example.com/shards", "not https ones"),
    ("pipe:no-such-program bucket:shards", "there is no program no-such-program here"),
    ("pipe:false bucket:shards", "gives no shards.json"),
])
def test_a_source_it_cannot_read_is_one_sentence(shards, source, says):
    from playbook.errors import UserError
    with pytest.raises(UserError, match=r"\S") as error:
        shards.source_files(source)
    assert says in str(error.value) and "\n" not in str(error.value), str(error.value)


def test_a_manifest_without_a_dev_split_or_of_another_shape_is_refused(shards, tmp_path):
    from playbook.errors import UserError
    folder = _shard_folder(tmp_path / "train-only", {"train": {"samples": 9, "shards": 1, "pattern": "train-000000.tar"}})
    with pytest.raises(UserError, match=r"has no dev split; shard a dataset that has one"):
        shards.source_files(folder)
    other = _shard_folder(tmp_path / "other", ["train"])
    with pytest.raises(UserError, match=r"is not a manifest `playbook shards` wrote"):
        shards.source_files(other)


def test_sizes_are_read_as_people_write_them(shards):
    from playbook.errors import UserError
    assert shards.parse_size("500MB") == 500_000_000 and shards.parse_size("1.5 GB") == 1_500_000_000
    assert shards.parse_size("200kB") == 200_000 and shards.parse_size("4096") == 4096
    for bad in ("big", "0MB", "-1GB"):
        with pytest.raises(UserError, match=r"--size .*: write a size such as 500MB or 1GB"):
            shards.parse_size(bad)
