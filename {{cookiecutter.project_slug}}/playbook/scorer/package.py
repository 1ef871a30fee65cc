"""Writing scorer packages (`.scorer`, format version 6); stt_device.scorer_package has
the format and reads them.

The vocabulary FST is the minimal deterministic acyclic acceptor of the words (each
followed by the space label in alphabet mode), numbered as OpenFst's Determinize and
Minimize number it and serialised as an aligned ConstFst, so a package is
byte-identical to generate_scorer_package's for the same KenLM binary and words.

Standard library only: the engine's CPython 3.7 and the device's 3.11 both use it.
"""
import struct
from pathlib import Path

from stt_device.scorer_package import (  # noqa: F401  (re-exported: the reading side of the format)
    ARC, FST_ALIGN, FST_FLAG_ALIGNED, FST_HEADER_START, FST_PROPERTIES, FST_VERSION_ALIGNED, FST_ZERO_WEIGHT,
    NOT_STRING, NOT_TOP_SORTED, SKIPPED_WORDS, STATE, STRING, TOP_SORTED, TRIE_MAGIC, VERSION, Package,
    check_alphabet, float32, kenlm_header, read_fst, read_package, words)
from stt_device.decoding import DEFAULT_ALPHA, DEFAULT_BETA

from .. import storage
from ..errors import UserError

# ---- the vocabulary FST -------------------------------------------------------

def word_labels(vocabulary, alphabet=None):
    """Label sequences for the FST, and the words that cannot be written.

    Alphabet mode: label = alphabet index + 1, and every word ends with the space
    label. Bytes mode (alphabet None): the word's UTF-8 bytes, nothing appended.
    """
    sequences, rejected = set(), []
    if alphabet is not None:
        index = {label: number + 1 for number, label in enumerate(alphabet)}
        if " " not in index:
            raise UserError("the alphabet has no space label: a word-level scorer needs the space (a line with one space).")
        space = index[" "]
    for word in vocabulary:
        if word in SKIPPED_WORDS or not word:
            continue
        if alphabet is None:
            sequences.add(tuple(word.encode("utf-8")))
        elif all(char in index for char in word):
            sequences.add(tuple(index[char] for char in word) + (space,))
        else:
            rejected.append(word)
    return sorted(sequences), rejected


def build_fst(sequences):
    """Minimal deterministic acyclic acceptor of label sequences.

    Returns a list of states, each (is_final, [(label, next_state), ...]) with arcs
    in label order. States are numbered the way OpenFst's Determinize and Minimize
    number them, so the result is byte-identical to generate_scorer_package's.
    """
    children, final = [{}], [False]
    for sequence in sequences:
        node = 0
        for label in sequence:
            if label not in children[node]:
                children[node][label] = len(children)
                children.append({})
                final.append(False)
            node = children[node][label]
        final[node] = True
    # Breadth-first numbering, children in label order.
    order, bfs = [0], {0: 0}
    for node in order:
        for label in sorted(children[node]):
            bfs[children[node][label]] = len(order)
            order.append(children[node][label])
    height = [0] * len(children)
    for node in reversed(order):
        if children[node]:
            height[node] = 1 + max(height[child] for child in children[node].values())
    by_height = {}
    for node in order:
        by_height.setdefault(height[node], []).append(node)
    representative = {}
    for level in sorted(by_height):
        groups = {}
        for node in by_height[level]:
            signature = (final[node], tuple((label, representative[child]) for label, child in sorted(children[node].items())))
            groups.setdefault(signature, []).append(node)
        highest = max(by_height[level], key=bfs.get)
        for members in groups.values():
            chosen = highest if highest in members else min(members, key=bfs.get)
            for node in members:
                representative[node] = chosen
    kept = sorted(set(representative.values()), key=bfs.get)
    number = {node: index for index, node in enumerate(kept)}
    return [(final[node], [(label, number[representative[child]]) for label, child in sorted(children[node].items())])
            for node in kept]


def fst_properties(states):
    top_sorted = all(target > source for source, (_, arcs) in enumerate(states) for _, target in arcs)
    last = len(states) - 1
    chain = all((len(arcs) == 1 and arcs[0][1] == source + 1 and not is_final) if source < last else (is_final and not arcs)
                for source, (is_final, arcs) in enumerate(states))
    return FST_PROPERTIES | (TOP_SORTED if top_sorted else NOT_TOP_SORTED) | (STRING if chain else NOT_STRING)


def _padding(position):
    return b"\0" * (-position % FST_ALIGN)


def fst_bytes(states, offset):
    """The ConstFst serialised aligned, for a file in which it starts at OFFSET.

    OpenFst pads to multiples of 16 of the absolute file position, not of the
    FST's own start: padding counted from the FST loads but reads shifted arcs.
    """
    arcs_total = sum(len(arcs) for _, arcs in states)
    header = (FST_HEADER_START + struct.pack("<iiQqqq", FST_VERSION_ALIGNED, FST_FLAG_ALIGNED, fst_properties(states),
                                             0 if states else -1, len(states), arcs_total))
    out = bytearray(header)
    out += _padding(offset + len(out))
    position = 0
    for is_final, arcs in states:
        out += STATE.pack(0.0 if is_final else FST_ZERO_WEIGHT, position, len(arcs), 0, 0)
        position += len(arcs)
    out += _padding(offset + len(out))
    for _, arcs in states:
        for label, target in arcs:
            out += ARC.pack(label, label, 0.0, target)
    return bytes(out)



# ---- packages -----------------------------------------------------------------

def header_bytes(utf8, alpha, beta):
    return struct.pack("<ii?dd", TRIE_MAGIC, VERSION, utf8, float32(alpha), float32(beta))


def write_package(package, lm_binary, vocabulary, alphabet=None, alpha=DEFAULT_ALPHA, beta=DEFAULT_BETA):
    """Write PACKAGE from a KenLM binary and VOCABULARY (words). Returns (states, arcs, rejected words).

    alphabet is the model's label list (alphabet mode) or None (UTF-8 bytes mode).
    The package is written next to its final name and renamed into place, and an
    existing file is never replaced.
    """
    package, lm_binary = Path(package), Path(lm_binary)
    if package.exists():
        raise UserError("{} already exists; choose another name or move it away first.".format(package))
    lm = lm_binary.read_bytes()
    order, model_type, counts, has_vocabulary = kenlm_header(lm, lm_binary)
    if has_vocabulary:
        raise UserError("{} keeps its vocabulary strings, which the scorer would read as its header; "
                        "rebuild it with build_binary -v.".format(lm_binary))
    sequences, rejected = word_labels(vocabulary, alphabet)
    if not sequences:
        raise UserError("no vocabulary word can be written with the alphabet: check the corpus and alphabet.txt.")
    states = build_fst(sequences)
    body = header_bytes(alphabet is None, alpha, beta)
    with storage.building(package, folder=False) as partial, open(str(partial), "wb") as out:
        out.write(lm)
        out.write(body)
        out.write(fst_bytes(states, len(lm) + len(body)))
    return len(states), sum(len(arcs) for _, arcs in states), rejected


def set_defaults(path, alpha, beta):
    """Rewrite a package's default alpha and beta in place (16 bytes of its header)."""
    package = read_package(path)
    with open(str(package.path), "r+b") as handle:
        handle.seek(package.lm_size + 9)
        handle.write(struct.pack("<dd", float32(alpha), float32(beta)))
    return read_package(path)
