"""Transcripts and language-model text normalised to a model's alphabet: one set of rules for
`playbook import`, `playbook check-dataset` and `playbook lm`.

In this order:
1. Unicode NFKC: compatibility forms folded (ligatures, full-width and circled letters, ...).
2. `--map C=TEXT` replacements, character by character.
3. Lowercase, unless the alphabet itself has capitals (or keep_case=True).
4. Typographic apostrophes (U+2019, U+2018, U+02BC, `) become ', where ' is a label.
5. Punctuation, symbols, separators and control characters (Unicode categories P*, S*, Z*, Cc)
   become spaces, unless they are labels; invisible format characters (Cf: soft hyphens,
   zero-width joiners) are removed; runs of white space collapse to one space.
Without an alphabet (one is being built from the transcripts), letters, marks, digits and ' are
kept. What is still outside the alphabet after that is reported, character by character.
Standard library only (both interpreters).
"""
import collections
import unicodedata

APOSTROPHES = "\u2019\u2018\u02bc`"
OUTSIDE = "\0"  # stands for a character outside the alphabet inside a word


def parse_mapping(items):
    """--map values ['é=e', 'ß=ss'] -> {'é': 'e', 'ß': 'ss'}; each key one character."""
    from ..errors import UserError
    mapping = {}
    for item in items or ():
        source, equals, target = item.partition("=")
        if not equals or len(source) != 1:
            raise UserError("--map '{}' must be CHAR=REPLACEMENT, e.g. --map 'é=e' (an empty replacement deletes it)."
                            .format(item))
        mapping[source] = target
    return mapping


class TextNormaliser(object):
    """Normalises text to LABELS (None: letters, marks, digits and '), counting what stays outside."""

    def __init__(self, labels=None, mapping=(), keep_case=False):
        self.labels = None if labels is None else set(labels)
        self.mapping = dict(mapping)
        self.lowercase = not keep_case and not (labels and any(label != label.lower() for label in labels))
        if self.labels is None or "'" in self.labels:
            for quote in APOSTROPHES:
                self.mapping.setdefault(quote, "'")
        self.outside = collections.Counter()

    def _keeps(self, char):
        if self.labels is not None:
            return char in self.labels
        return char == "'" or unicodedata.category(char)[0] in "LMN"

    def _split(self, text):
        chars, outside = [], []
        for original in unicodedata.normalize("NFKC", text):
            for char in self.mapping.get(original, original):
                if self.lowercase:
                    char = char.lower()
                if self._keeps(char):
                    chars.append(char)
                elif unicodedata.category(char) == "Cf":
                    continue  # invisible format characters (soft hyphen, zero-width joiners)
                elif char.isspace() or unicodedata.category(char)[0] in "PSZC":
                    chars.append(" ")  # punctuation, symbols and control characters separate words
                else:
                    outside.append(char)
                    chars.append(OUTSIDE)
        self.outside.update(outside)
        return "".join(chars).split(), outside

    def words(self, text):
        """The words of TEXT after normalising; a character outside the alphabet stays in its word as OUTSIDE."""
        return self._split(text)[0]

    def transcript(self, text):
        """(normalised transcript, the characters outside the alphabet in the order met, each once)."""
        words, outside = self._split(text)
        return " ".join(words), list(collections.OrderedDict.fromkeys(outside))


def describe(chars):
    """'é' (U+00E9), 'ß' (U+00DF): characters as a user can find them in an editor."""
    return ", ".join("{!r} (U+{:04X})".format(char, ord(char)) for char in chars)
