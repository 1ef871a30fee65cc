"""Scorer packages (`.scorer`, format version 6): the format, and reading and checking one.

A package is a KenLM binary (built with `build_binary -v`, so it holds no word
strings), then a packed header (magic 'TRIE', version 6, UTF-8 mode flag, default
alpha and beta as float64), then the vocabulary as an OpenFst ConstFst written
aligned: the minimal deterministic acceptor of every vocabulary word followed by a
space. DeepSpeech 0.9.3 and Coqui STT 1.4.0 read the same format. The decoder
cannot tell which alphabet a package was built for, so `check_alphabet` does.
playbook.scorer writes packages.

Standard library only: the engine's CPython 3.7 and the device's 3.11 both use it.
"""
import mmap
import struct
from collections import namedtuple
from pathlib import Path

from .errors import UserError

VERSION = 6
TRIE_MAGIC = 0x54524945  # 'TRIE' as a C multi-char constant, little-endian "EIRT"
KENLM_MAGIC = b"mmap lm http://kheafield.com/code format version 5\n"
KENLM_MODEL_TYPES = {0: "probing", 1: "rest-probing", 2: "trie", 3: "quant-trie", 4: "array-trie", 5: "quant-array-trie"}
FST_MAGIC = 2125659606
FST_HEADER_START = struct.pack("<i", FST_MAGIC) + struct.pack("<i", 5) + b"const" + struct.pack("<i", 8) + b"standard"
FST_VERSION_ALIGNED, FST_FLAG_ALIGNED = 1, 4
FST_ALIGN = 16
FST_ZERO_WEIGHT = float("inf")  # tropical Zero marks a non-final state
STATE = struct.Struct("<fIIII")  # final weight, first arc, arcs, input epsilons, output epsilons
ARC = struct.Struct("<iifi")  # input label, output label, weight, next state
# Property bits OpenFst computes for a minimal acyclic acceptor (always set), and the
# two that depend on its shape. The decoder does not read them; written for fidelity.
FST_PROPERTIES = 0x852A5A950001
TOP_SORTED, NOT_TOP_SORTED = 0x4000000000, 0x8000000000
STRING, NOT_STRING = 0x100000000000, 0x200000000000
SKIPPED_WORDS = {"<s>", "</s>", "<unk>"}

Package = namedtuple("Package", "path size lm_size lm_order lm_type lm_counts utf8 alpha beta "
                                "fst_offset start states arcs states_offset arcs_offset")


def kenlm_header(data, path):
    """Order, model type and n-gram counts of a KenLM binary; refuses what a scorer cannot hold."""
    if len(data) < 108 or data[:len(KENLM_MAGIC)] != KENLM_MAGIC:
        if data[:6] == b"\\data\\" or data.lstrip()[:6] == b"\\data\\":
            raise UserError("{} is an ARPA text model; turn it into a binary first: build_binary -v trie {} lm.binary".format(path, path))
        raise UserError("{} is not a KenLM binary (it does not start with KenLM's 'mmap lm' header).".format(path))
    order, = struct.unpack_from("<B", data, 88)
    model_type, = struct.unpack_from("<i", data, 96)
    has_vocabulary, = struct.unpack_from("<B", data, 100)
    counts = list(struct.unpack_from("<{}Q".format(order), data, 108))
    return order, KENLM_MODEL_TYPES.get(model_type, str(model_type)), counts, bool(has_vocabulary)


def float32(value):
    """alpha and beta pass through float32 in the reference tools; store them the same way."""
    return struct.unpack("<f", struct.pack("<f", value))[0]


def read_package(path):
    """Parse and check a package; every way it can be broken is a UserError naming the file."""
    path = Path(path)
    if not path.is_file():
        raise UserError("scorer {} does not exist; build one with `playbook lm`.".format(path))
    size = path.stat().st_size
    with open(str(path), "rb") as handle:
        data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        try:
            return _parse(path, data, size)
        finally:
            if size:
                data.close()


def _parse(path, data, size):
    order, model_type, counts, has_vocabulary = kenlm_header(data[:4096], path)
    fst_at = data.find(FST_HEADER_START, 108)
    lm_size = fst_at - 25
    if fst_at < 0 or struct.unpack_from("<i", data, lm_size)[0] != TRIE_MAGIC:
        marker = data.find(struct.pack("<i", TRIE_MAGIC), 108)
        if marker < 0:
            raise UserError("{} is a bare KenLM binary, not a scorer package (no scorer header after the language model); "
                            "package it with `playbook lm`.".format(path))
        if data[marker + 4:marker + 8] != struct.pack("<i", VERSION):
            found = struct.unpack_from("<i", data, marker + 4)[0] if size >= marker + 8 else "unreadable"
            raise UserError("{} is scorer format version {}; this engine reads version {}. Rebuild it with `playbook lm`."
                            .format(path, found, VERSION))
        raise UserError("{} is damaged or truncated: its vocabulary part is missing or unreadable ({} bytes).".format(path, size))
    magic, version, utf8, alpha, beta = struct.unpack_from("<ii?dd", data, lm_size)
    if version != VERSION:
        raise UserError("{} is scorer format version {}; this engine reads version {}.".format(path, version, VERSION))
    header_end = fst_at + len(FST_HEADER_START)
    fst_version, flags, _properties, start, n_states, n_arcs = struct.unpack_from("<iiQqqq", data, header_end)
    position = header_end + struct.calcsize("<iiQqqq")
    aligned = fst_version == FST_VERSION_ALIGNED or flags & FST_FLAG_ALIGNED
    if aligned:
        position += -position % FST_ALIGN
    states_at = position
    position += n_states * STATE.size
    if aligned:
        position += -position % FST_ALIGN
    arcs_at = position
    end = arcs_at + n_arcs * ARC.size
    if size < end:
        raise UserError("{} is truncated: its vocabulary needs {} bytes and the file has {}; copy it again or rebuild it."
                        .format(path, end, size))
    if size > end:
        raise UserError("{} has {} unexpected bytes after its vocabulary; it is not a scorer package this tool understands."
                        .format(path, size - end))
    return Package(path, size, lm_size, order, model_type, counts, utf8, alpha, beta,
                   fst_at, start, n_states, n_arcs, states_at, arcs_at)


def read_fst(package):
    """The package's FST as (final flags, arcs per state [(label, next)])."""
    with open(str(package.path), "rb") as handle:
        handle.seek(package.states_offset)
        raw_states = handle.read(package.states * STATE.size)
        handle.seek(package.arcs_offset)
        raw_arcs = handle.read(package.arcs * ARC.size)
    finals, arcs = [], []
    all_arcs = list(ARC.iter_unpack(raw_arcs))
    for weight, first, count, _, _ in STATE.iter_unpack(raw_states):
        finals.append(weight != FST_ZERO_WEIGHT)
        arcs.append([(label, target) for label, _, _, target in all_arcs[first:first + count]])
    return finals, arcs


def words(package, limit=None, fst=None):
    """Label sequences the FST accepts, in label order (at most LIMIT). FST: read_fst's result, if already read."""
    finals, arcs = fst or read_fst(package)
    found, stack = [], [(package.start, ())]
    while stack and (limit is None or len(found) < limit):
        state, prefix = stack.pop()
        if finals[state]:
            found.append(prefix)
        for label, target in reversed(arcs[state]):
            if len(prefix) < 200:
                stack.append((target, prefix + (label,)))
    return found


def check_alphabet(package, alphabet, in_vocabulary=None, sample=200, fst=None):
    """Refuse a package built for another alphabet than ALPHABET (the model's labels).

    The package records no alphabet, so this checks what the labels imply: every
    word must end in the model's space label, no label may lie past the alphabet,
    and (with in_vocabulary, a KenLM lookup) the words spelled with the model's
    alphabet must be words of the package's own language model.
    """
    where = "{} does not fit the model's alphabet ({} labels)".format(package.path, len(alphabet))
    if package.utf8:
        raise UserError("{}: the scorer is in UTF-8 bytes mode and the model uses an alphabet file; "
                        "rebuild the scorer from this model's alphabet.txt.".format(where))
    fst = fst or read_fst(package)
    finals, arcs = fst
    top = max((label for state_arcs in arcs for label, _ in state_arcs), default=0)
    if top > len(alphabet):
        raise UserError("{}: it uses label {} and the alphabet has only {}; rebuild it with `playbook lm` and this "
                        "model's alphabet.txt.".format(where, top, len(alphabet)))
    if " " not in alphabet:
        raise UserError("{}: the alphabet has no space label.".format(where))
    space = alphabet.index(" ") + 1
    ends = {label for state_arcs in arcs for label, target in state_arcs if finals[target]}
    if ends and ends != {space}:
        raise UserError("{}: its words end in label {} where the model's space is label {}; rebuild it with `playbook lm` "
                        "and this model's alphabet.txt.".format(where, sorted(ends)[0], space))
    if in_vocabulary is not None:
        spelled = ["".join(alphabet[label - 1] for label in sequence[:-1]) for sequence in words(package, sample, fst)]
        known = sum(1 for word in spelled if in_vocabulary(word))
        if spelled and known < 0.9 * len(spelled):
            raise UserError("{}: spelled with that alphabet, only {} of {} of its words are in its own language model "
                            "(e.g. {!r}); rebuild it with `playbook lm` and this model's alphabet.txt."
                            .format(where, known, len(spelled), spelled[0]))
    return True
