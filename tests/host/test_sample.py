"""The sample corpus is the same audio every time it is made, so the same seed trains the same model."""
import hashlib
import shutil


def _digests(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_sample_corpus_is_byte_for_byte_repeatable(template_playbook, unavailable, tmp_path):
    missing = [tool for tool in ("espeak-ng", "sox") if shutil.which(tool) is None]
    if missing:
        unavailable(f"{' and '.join(missing)} not installed (apt-get install espeak-ng sox)")
    sample = template_playbook("playbook.data.sample")
    # sox dithers with a generator seeded from the clock unless told -R; the two corpora are made
    # seconds apart, so an unseeded dither would change every file.
    first = sample.make_sample(tmp_path / "first")
    second = sample.make_sample(tmp_path / "second")
    assert first["files"] == second["files"] and first["seconds_of_audio"] == second["seconds_of_audio"]
    digests = _digests(tmp_path / "first")
    assert len([name for name in digests if name.endswith(".wav")]) == sum(first["files"].values())
    assert digests == _digests(tmp_path / "second")
