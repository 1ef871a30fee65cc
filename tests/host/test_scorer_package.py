"""The scorer package writer and reader, byte for byte against the format's reference facts.

Reference: ../shared/reference/scorer-format.md (section 6 is the worked example used here).
The decoder-side proof (coqui-stt-ctcdecoder loads and decodes our packages) runs in the
container: tests/container/test_endtoend.py and the `scorer` chapter.
"""
import struct

import pytest

ENGLISH = [" "] + [chr(c) for c in range(ord("a"), ord("z") + 1)] + ["'"]
KENLM_PART = 266112  # the size of the KenLM part of DeepSpeech's pruned_lm.scorer


@pytest.fixture()
def scorer(template_playbook):
    return template_playbook("playbook.scorer.package")


def fake_kenlm(path, size=KENLM_PART, has_vocabulary=0):
    """A file with a KenLM binary header (order 2, trie) padded to SIZE: what the writer reads of it."""
    header = bytearray(size)
    magic = b"mmap lm http://kheafield.com/code format version 5\n"
    header[:len(magic)] = magic
    struct.pack_into("<B3xfiB3xI", header, 88, 2, 1.5, 2, has_vocabulary, 1)
    struct.pack_into("<2Q", header, 108, 30, 479)
    path.write_bytes(bytes(header))
    return path


def test_worked_example_fst_is_byte_exact(scorer):
    sequences, rejected = scorer.word_labels(["a", "ab"], ENGLISH)
    assert rejected == [] and sequences == [(2, 1), (2, 3, 1)]
    states = scorer.build_fst(sequences)
    assert states == [(False, [(2, 1)]), (False, [(1, 3), (3, 2)]), (False, [(1, 3)]), (True, [])]
    blob = scorer.fst_bytes(states, 0)
    assert len(blob) == 224
    magic, = struct.unpack_from("<i", blob, 0)
    assert magic == 2125659606 and blob[8:13] == b"const" and blob[17:25] == b"standard"
    version, flags, properties, start, n_states, n_arcs = struct.unpack_from("<iiQqqq", blob, 25)
    assert (version, flags, properties, start, n_states, n_arcs) == (1, 4, 0xA56A5A950001, 0, 4, 4)
    assert blob[0x41:0x50] == b"\0" * 15  # aligned to 16 from the start of the stream
    assert struct.unpack_from("<fIIII", blob, 0x50 + 20) == (float("inf"), 1, 2, 0, 0)
    assert struct.unpack_from("<iifi", blob, 0xA0 + 16) == (1, 1, 0.0, 3)


def test_package_layout_and_header_fields(scorer, tmp_path):
    lm = fake_kenlm(tmp_path / "lm.binary")
    states, arcs, rejected = scorer.write_package(tmp_path / "x.scorer", lm, ["a", "ab", "ñu"], ENGLISH, 0.75, 1.85)
    assert (states, arcs, rejected) == (4, 4, ["ñu"])
    data = (tmp_path / "x.scorer").read_bytes()
    assert len(data) == 266352  # the reference's offsets: FST header at 266137, states at 266208, arcs at 266288
    assert data[:KENLM_PART] == lm.read_bytes()
    assert data[KENLM_PART:KENLM_PART + 9] == b"EIRT" + b"\x06\0\0\0" + b"\0"
    assert data[KENLM_PART + 9:KENLM_PART + 17] == bytes.fromhex("000000000000e83f")  # alpha 0.75
    assert data[KENLM_PART + 17:KENLM_PART + 25] == bytes.fromhex("000000a09999fd3f")  # beta 1.85 via float32
    package = scorer.read_package(tmp_path / "x.scorer")
    assert (package.lm_size, package.lm_order, package.lm_counts, package.utf8) == (KENLM_PART, 2, [30, 479], False)
    assert (package.states_offset, package.arcs_offset, package.states, package.arcs) == (266208, 266288, 4, 4)
    assert package.alpha == 0.75 and package.beta == pytest.approx(1.85, abs=1e-6)
    assert scorer.words(package) == [(2, 1), (2, 3, 1)]
    scorer.check_alphabet(package, ENGLISH, lambda word: word in {"a", "ab"})


def test_bytes_mode_package(scorer, tmp_path):
    lm = fake_kenlm(tmp_path / "lm.binary", size=3056)
    scorer.write_package(tmp_path / "b.scorer", lm, list("abc'"), None, 0.931289, 1.183414)
    package = scorer.read_package(tmp_path / "b.scorer")
    assert package.utf8 and package.states == 2 and package.arcs == 4
    assert package.states_offset == 3152 and package.arcs_offset == 3200  # the reference's bytes-mode offsets


def test_alpha_and_beta_are_rewritten_in_place(scorer, tmp_path):
    lm = fake_kenlm(tmp_path / "lm.binary")
    scorer.write_package(tmp_path / "x.scorer", lm, ["a"], ENGLISH, 0.75, 1.85)
    before = (tmp_path / "x.scorer").read_bytes()
    package = scorer.set_defaults(tmp_path / "x.scorer", 2.5, 0.5)
    after = (tmp_path / "x.scorer").read_bytes()
    assert (package.alpha, package.beta) == (2.5, 0.5)
    changed = [i for i in range(len(before)) if before[i] != after[i]]
    assert changed and KENLM_PART + 9 <= min(changed) and max(changed) < KENLM_PART + 25


@pytest.mark.parametrize("damage, message", [
    (lambda data: data[:-100], "is truncated: its vocabulary needs 266352 bytes and the file has 266252"),
    (lambda data: data + b"\0" * 8, "has 8 unexpected bytes after its vocabulary"),
    (lambda data: data[:KENLM_PART], "is a bare KenLM binary, not a scorer package"),
    (lambda data: data[:KENLM_PART + 4] + b"\x05\0\0\0" + data[KENLM_PART + 8:], "is scorer format version 5"),
    (lambda data: data[:KENLM_PART + 40], "is damaged or truncated"),
    (lambda data: b"\\data\\\nngram 1=3\n", "is an ARPA text model"),
    (lambda data: b"", "is not a KenLM binary"),
])
def test_broken_packages_are_refused_with_the_reason(scorer, tmp_path, template_playbook, damage, message):
    errors = template_playbook("playbook.errors")
    lm = fake_kenlm(tmp_path / "lm.binary")
    scorer.write_package(tmp_path / "good.scorer", lm, ["a", "ab"], ENGLISH, 0.75, 1.85)
    broken = tmp_path / "broken.scorer"
    broken.write_bytes(damage((tmp_path / "good.scorer").read_bytes()))
    with pytest.raises(errors.UserError, match="broken.scorer") as caught:
        scorer.read_package(broken)
    assert message in str(caught.value)


def test_a_scorer_for_another_alphabet_is_refused(scorer, tmp_path, template_playbook):
    errors = template_playbook("playbook.errors")
    lm = fake_kenlm(tmp_path / "lm.binary")
    scorer.write_package(tmp_path / "x.scorer", lm, ["cab", "ab"], ENGLISH, 0.75, 1.85)
    package = scorer.read_package(tmp_path / "x.scorer")
    with pytest.raises(errors.UserError, match="words end in label 1 where the model's space is label 28"):
        scorer.check_alphabet(package, ENGLISH[1:] + [" "], None)
    with pytest.raises(errors.UserError, match="uses label 4 and the alphabet has only 3"):
        scorer.check_alphabet(package, [" ", "a", "b"], None)
    shifted = ["'"] + ENGLISH[:-1]  # space moved to label 2, letters shifted by one
    with pytest.raises(errors.UserError, match="space is label 2"):
        scorer.check_alphabet(package, shifted, None)
    with pytest.raises(errors.UserError, match="only 0 of 2 of its words are in its own language model"):
        scorer.check_alphabet(package, ENGLISH, lambda word: False)


def test_existing_packages_and_vocabulary_lms_are_not_overwritten(scorer, tmp_path, template_playbook):
    errors = template_playbook("playbook.errors")
    lm = fake_kenlm(tmp_path / "lm.binary")
    (tmp_path / "x.scorer").write_text("mine")
    with pytest.raises(errors.UserError, match="already exists"):
        scorer.write_package(tmp_path / "x.scorer", lm, ["a"], ENGLISH)
    assert (tmp_path / "x.scorer").read_text() == "mine"
    with_vocab = fake_kenlm(tmp_path / "v.binary", has_vocabulary=1)
    with pytest.raises(errors.UserError, match="rebuild it with build_binary -v"):
        scorer.write_package(tmp_path / "y.scorer", with_vocab, ["a"], ENGLISH)
