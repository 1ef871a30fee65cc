"""A shard source as `--dataset` (playbook/data/shards.py): how it is told from a CSV dataset, what the engine is
given for it, and the one sentence for each source it cannot read. Writing shards and training on them streamed
from a bucket is the Cloud chapter's ("Data too big to copy"), run in the container."""
import hashlib
import json
import os
import subprocess

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


# --- a `pipe:` source's shards, streamed and kept (playbook/data/shard_stream.py) ---

@pytest.fixture()
def bucket(shards, tmp_path, monkeypatch):
    """A `pipe:cat FOLDER` source: `cat` stands where `rclone cat REMOTE:path` would, reading a folder as a bucket.
    Its one training shard is 3 MB, more than a pipe holds, so a reader that stops early leaves the writer blocked."""
    from harness.bake import TEMPLATE
    monkeypatch.setenv("PYTHONPATH", str(TEMPLATE / "{{cookiecutter.project_slug}}"))  # the engine's processes have it
    folder = tmp_path / "bucket" / "sample"
    shard = os.urandom(3 * 1024 * 1024)
    _shard_folder(folder, {"train": {"samples": 3, "shards": 1, "pattern": "train-000000.tar"},
                           "dev": {"samples": 1, "shards": 1, "pattern": "dev-000000.tar"}})
    (folder / "train-000000.tar").write_bytes(shard)
    (folder / "dev-000000.tar").write_bytes(b"dev")
    manifest = json.loads((folder / "shards.json").read_text())
    manifest["files"] = {name: {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
                         for name, data in (("train-000000.tar", shard), ("dev-000000.tar", b"dev"))}
    (folder / "shards.json").write_text(json.dumps(manifest))
    return folder, shard


def _as_webdataset_opens(url):
    """What webdataset 0.1.103 does with a `pipe:` URL: the rest of it, run by the shell, its output read."""
    assert url.startswith("pipe:")
    return subprocess.run(url[len("pipe:"):], shell=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_a_streamed_shard_is_kept_and_then_read_without_the_command(shards, bucket, data_root):
    folder, shard = bucket
    files = shards.source_files(f"pipe:cat {folder}")
    cache = files["shard_cache"]
    assert cache.parent.parent == data_root / "cache" / "shards" and (cache / "shards.json").is_file()
    first = _as_webdataset_opens(files["train"])
    assert first.returncode == 0 and first.stdout == shard, first.stderr
    assert (cache / "train-000000.tar").read_bytes() == shard and not list(cache.glob(".*.partial"))
    (folder / "train-000000.tar").unlink()  # the bucket no longer has it: the next epoch cannot have asked it
    again = _as_webdataset_opens(files["train"])
    assert again.returncode == 0 and again.stdout == shard, again.stderr


def test_shards_written_again_are_never_read_from_the_old_copies(shards, bucket):
    folder, _ = bucket
    old = shards.source_files(f"pipe:cat {folder}")
    assert _as_webdataset_opens(old["train"]).returncode == 0
    shards._FETCHED.clear()  # another process
    manifest = json.loads((folder / "shards.json").read_text())
    new_shard = b"rewritten" * 1000
    (folder / "train-000000.tar").write_bytes(new_shard)
    manifest["files"]["train-000000.tar"] = {"bytes": len(new_shard), "sha256": hashlib.sha256(new_shard).hexdigest()}
    (folder / "shards.json").write_text(json.dumps(manifest))
    new = shards.source_files(f"pipe:cat {folder}")
    assert new["shard_cache"] != old["shard_cache"] and _as_webdataset_opens(new["train"]).stdout == new_shard


def test_a_shard_unlike_its_manifest_streams_but_is_not_kept(shards, bucket):
    folder, shard = bucket
    files = shards.source_files(f"pipe:cat {folder}")
    (folder / "train-000000.tar").write_bytes(shard[:-1])  # an upload cut short
    result = _as_webdataset_opens(files["train"])
    assert result.returncode == 0 and result.stdout == shard[:-1]
    assert b"train-000000.tar came as 3145727 bytes, the manifest says 3145728" in result.stderr, result.stderr
    assert not list(files["shard_cache"].glob("train-*")) and not list(files["shard_cache"].glob(".*.partial"))


def test_a_reader_that_stops_early_leaves_nothing_kept(shards, bucket):
    folder, _ = bucket
    files = shards.source_files(f"pipe:cat {folder}")
    reader = subprocess.Popen(files["train"][len("pipe:"):], shell=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert len(reader.stdout.read(1000)) == 1000
    reader.stdout.close()  # an epoch stopped by the budget, or a killed training
    assert reader.wait(timeout=30) == 0 and b"Traceback" not in reader.stderr.read()
    assert not any(files["shard_cache"].glob("*.tar")) and not list(files["shard_cache"].glob(".*.partial"))


def test_a_killed_trainings_partial_copy_is_removed_once_stale(shards, bucket):
    folder, shard = bucket
    files = shards.source_files(f"pipe:cat {folder}")
    cache = files["shard_cache"]
    stale, fresh = cache / ".train-000000.tar.99999.partial", cache / ".dev-000000.tar.99998.partial"
    for path in (stale, fresh):
        path.write_bytes(b"part of a shard")
    os.utime(stale, (0, 0))  # not written to for decades; `fresh` is another training's, still arriving
    assert _as_webdataset_opens(files["train"]).stdout == shard
    assert not stale.exists() and fresh.exists() and (cache / "train-000000.tar").is_file()


def test_a_failing_command_fails_the_shard(shards, bucket):
    folder, _ = bucket
    files = shards.source_files(f"pipe:cat {folder}")
    (folder / "train-000000.tar").unlink()
    result = _as_webdataset_opens(files["train"])
    assert result.returncode != 0 and not any(files["shard_cache"].glob("*.tar"))  # webdataset then raises
