"""CTC prefix beam search with an external scorer, for the device runtime.

coqui-stt-ctcdecoder, the engine's decoder, has no wheel for CPython 3.11 or for
aarch64, so the device runtime decodes here: numpy for the probabilities, KenLM's
Python module on the package's language-model part, and the package's vocabulary
FST read by playbook.scorer. The search follows the engine decoder's rules (prefix
trie, dictionary constraint, word-level LM scoring at spaces, the last word scored
at the end, the same pruning and tie-breaking), so both give the same text for the
same probabilities and scorer; the template's tests compare them on every held-out sample.

Alphabet-mode scorers only; UTF-8 bytes-mode packages are refused.
"""
import math
from functools import cmp_to_key

from . import scorer_package as packages
from .decoding import DEFAULT_BEAM_WIDTH, OOV_SCORE
from .errors import UserError

LOG10_E = 0.4342944819  # the engine's NUM_FLT_LOGE: KenLM's log10 to natural log
FLT_MIN = 1.17549435e-38  # added before log(), as the engine does
DELAY_THRESHOLD = 0.999  # no expansion while the blank is this certain (leading silence)
NEG_INF = float("-inf")


def log_sum_exp(x, y):
    if x == NEG_INF:
        return y
    if y == NEG_INF:
        return x
    top = max(x, y)
    return math.log(math.exp(x - top) + math.exp(y - top)) + top


class Scorer(object):
    """A scorer package: KenLM for word probabilities, the FST for the spelling constraint."""

    def __init__(self, path, alphabet, alpha=None, beta=None):
        try:
            import kenlm
        except ImportError:
            raise UserError("decoding with a scorer needs KenLM's Python module (pip install kenlm==0.3.0).")
        self.package = packages.read_package(path)
        if self.package.utf8:
            raise UserError("{} is a UTF-8 bytes-mode scorer; the device decoder reads alphabet-mode scorers only "
                            "(build one with `playbook lm`).".format(path))
        self.lm = kenlm.Model(str(path))
        self._kenlm = kenlm
        fst = packages.read_fst(self.package)
        packages.check_alphabet(self.package, alphabet, self.lm.__contains__, fst=fst)
        self.finals, arcs = fst
        self.arcs = [dict(state_arcs) for state_arcs in arcs]
        self.start = self.package.start
        self.order = self.lm.order
        self.alpha = self.package.alpha if alpha is None else alpha
        self.beta = self.package.beta if beta is None else beta
        self._cache = {}

    def log_cond_prob(self, words, bos):
        """Natural-log probability of the last word given the others; OOV_SCORE for an unknown word."""
        key = (tuple(words), bos)
        if key not in self._cache:
            state, out = self._kenlm.State(), self._kenlm.State()
            if bos:
                self.lm.BeginSentenceWrite(state)
            else:
                self.lm.NullContextWrite(state)
            value = 0.0
            for word in words:
                if word not in self.lm:
                    value = OOV_SCORE * LOG10_E
                    break
                value = self.lm.BaseScore(state, word, out)
                state, out = out, state
            self._cache[key] = value / LOG10_E
        return self._cache[key]


class Prefix(object):
    """One node of the prefix trie: a candidate transcript ending in CHARACTER."""
    __slots__ = ("character", "parent", "children", "exists", "b_prev", "nb_prev", "b_cur", "nb_cur",
                 "score", "state")

    def __init__(self, character=-1, parent=None, state=None):
        self.character, self.parent, self.state = character, parent, state
        self.children = {}
        self.exists = True
        self.b_prev = self.nb_prev = self.b_cur = self.nb_cur = self.score = NEG_INF

    def child(self, label, scorer):
        """The prefix extended by LABEL, or None when the dictionary forbids it."""
        found = self.children.get(label)
        if found is not None:
            if not found.exists:
                found.exists = True
                found.b_prev = found.nb_prev = found.b_cur = found.nb_cur = NEG_INF
            return found
        state = None
        if scorer is not None:
            target = scorer.arcs[self.state].get(label + 1)
            if target is None:
                if scorer.finals[self.state]:
                    self.state = scorer.start
                return None
            state = scorer.start if scorer.finals[target] else target
        found = self.children[label] = Prefix(label, self, state)
        return found

    def collect(self, out):
        """Move every existing prefix's current probabilities to previous; children first."""
        for node in list(self.children.values()):
            node.collect(out)
        if self.exists:
            self.b_prev, self.nb_prev = self.b_cur, self.nb_cur
            self.b_cur = self.nb_cur = NEG_INF
            self.score = log_sum_exp(self.b_prev, self.nb_prev)
            out.append(self)

    def remove(self):
        self.exists = False
        if not self.children:
            parent = self.parent
            del parent.children[self.character]
            if not parent.children and not parent.exists:
                parent.remove()

    def labels(self):
        out, node = [], self
        while node.character != -1:
            out.append(node.character)
            node = node.parent
        return out[::-1]


def _compare(x, y, score=lambda node: node.score):
    if score(x) == score(y):
        if x.character == y.character:
            return 0
        return -1 if x.character < y.character else 1
    return -1 if score(x) > score(y) else 1


def _pruned(row, cutoff_prob, cutoff_top_n):
    pairs = list(enumerate(row.tolist()))
    if cutoff_prob < 1.0 or cutoff_top_n < len(pairs):
        pairs.sort(key=lambda pair: -pair[1])
        keep, total = 0, 0.0
        for _, value in pairs:
            total += value
            keep += 1
            if total >= cutoff_prob or keep >= cutoff_top_n:
                break
        pairs = pairs[:keep]
    return [(label, math.log(value + FLT_MIN)) for label, value in pairs]


class Decoder(object):
    def __init__(self, alphabet, beam_width=DEFAULT_BEAM_WIDTH, scorer=None, hot_words=None, cutoff_prob=1.0, cutoff_top_n=40):
        if beam_width < 1:
            raise UserError("beam width must be at least 1 (got {}).".format(beam_width))
        self.alphabet, self.beam_width, self.scorer = list(alphabet), beam_width, scorer
        self.hot_words = dict(hot_words or {})
        self.cutoff_prob, self.cutoff_top_n = cutoff_prob, cutoff_top_n
        self.space = self.alphabet.index(" ") if " " in self.alphabet else None
        self.blank = len(self.alphabet)

    def _word_before(self, node):
        """The word ending at NODE and the node before it (a space or the root)."""
        letters = []
        while node.character != self.space and node.character != -1:
            letters.append(node.character)
            node = node.parent
        return "".join(self.alphabet[label] for label in reversed(letters)), node

    def _ngram(self, node):
        words = []
        for _ in range(self.scorer.order):
            if node is None or node.character == -1:
                break
            word, stop = self._word_before(node)
            words.append(word)
            node = stop.parent
        return words[::-1]

    def _lm_score(self, node, hot_words=True):
        """alpha * (ln P(word | previous words) + hot-word boosts) + beta, for the word ending at NODE."""
        ngram = self._ngram(node)
        boost = sum(self.hot_words.get(word, 0.0) for word in ngram) if hot_words else 0.0
        value = self.scorer.log_cond_prob(ngram, len(ngram) < self.scorer.order)
        return (value + boost) * self.scorer.alpha + self.scorer.beta

    def decode(self, probs):
        """Best transcript for PROBS, a (time, labels + 1) array of softmax outputs."""
        state = self.start()
        state.next(probs)
        return state.best()

    def start(self):
        """A decoding fed frame by frame (DecoderState): what a stream needs, so that its text so far costs only
        the new frames, as the native client's DecoderState does it."""
        return DecoderState(self)

    def _best(self, prefixes):
        scores = {id(prefix): prefix.score for prefix in prefixes}
        if self.scorer is not None:
            for prefix in prefixes[:self.beam_width]:
                if prefix.parent is not None and prefix.character != self.space:
                    # The engine's decoder adds no hot-word boost to the unfinished last word.
                    scores[id(prefix)] += self._lm_score(prefix, hot_words=False)
        best = min(prefixes, key=cmp_to_key(lambda x, y: _compare(x, y, lambda node: scores[id(node)])))
        return "".join(self.alphabet[label] for label in best.labels())


class DecoderState(object):
    """The beam search's prefixes between batches of frames. next(probs) takes the next frames; best() is the best
    transcript of the frames so far, and leaves the state as it was, so feeding every frame at once and feeding
    them in pieces give the same text."""

    def __init__(self, decoder):
        self.decoder = decoder
        self.root = Prefix(state=decoder.scorer.start if decoder.scorer is not None else None)
        self.root.score = self.root.b_prev = 0.0
        self.prefixes, self.started = [self.root], False

    def next(self, probs):
        decoder = self.decoder
        if probs.ndim != 2 or probs.shape[1] != decoder.blank + 1:
            raise UserError("the model outputs {} classes per frame and the alphabet has {} labels plus the blank; "
                            "use the alphabet the model was trained with.".format(probs.shape[-1], decoder.blank))
        scorer, blank, beam, root = decoder.scorer, decoder.blank, decoder.beam_width, self.root
        prefixes = self.prefixes
        for row in probs:
            if not self.started:
                if row[blank] >= DELAY_THRESHOLD:
                    continue
                self.started = True
            min_cutoff, full_beam = NEG_INF, False
            if scorer is not None:
                count = min(len(prefixes), beam)
                prefixes[:count] = sorted(prefixes[:count], key=cmp_to_key(_compare))
                min_cutoff = prefixes[count - 1].score + math.log(row[blank]) - max(0.0, scorer.beta)
                full_beam = count == beam
            for label, log_prob in _pruned(row, decoder.cutoff_prob, decoder.cutoff_top_n):
                for prefix in prefixes[:beam]:
                    if full_beam and log_prob + prefix.score < min_cutoff:
                        break
                    if label == blank:
                        prefix.b_cur = log_sum_exp(prefix.b_cur, log_prob + prefix.score)
                        continue
                    if label == prefix.character:
                        prefix.nb_cur = log_sum_exp(prefix.nb_cur, log_prob + prefix.nb_prev)
                    extended = prefix.child(label, scorer)
                    if extended is None:
                        continue
                    log_p = NEG_INF
                    if label == prefix.character and prefix.b_prev > NEG_INF:
                        log_p = log_prob + prefix.b_prev
                    elif label != prefix.character:
                        log_p = log_prob + prefix.score
                    if scorer is not None and label == decoder.space:
                        log_p += decoder._lm_score(prefix)
                    extended.nb_cur = log_sum_exp(extended.nb_cur, log_p)
            prefixes = []
            root.collect(prefixes)
            if len(prefixes) > beam:
                prefixes.sort(key=cmp_to_key(_compare))
                for prefix in prefixes[beam:]:
                    prefix.remove()
                prefixes = prefixes[:beam]
        self.prefixes = prefixes

    def best(self):
        return self.decoder._best(self.prefixes)
