"""How a transcript is decoded: the defaults and the command-line options, in one place for the device
runtime (`python -m stt_device`) and for playbook's transcribe, evaluate and decoder-parity, which hand
them to the device runtime or to the engine's decoder. Standard library only (both interpreters).
"""
from .errors import UserError

# The device decoder's beam: the engine's 500-1024 cost five to ten times more in its pure-Python search.
DEFAULT_BEAM_WIDTH = 100
# The engines' export_beam_width default, which `playbook evaluate` and `tune-scorer` decode with.
ENGINE_BEAM_WIDTH = 500
# Both decoders' log10 probability of a word the language model does not know (the engine's OOV_SCORE).
OOV_SCORE = -1000.0
# The engines' lm_alpha and lm_beta defaults: what a new scorer package holds until `tune-scorer` finds better.
DEFAULT_ALPHA = 0.931289039105002
DEFAULT_BETA = 1.1834137581510284

OPTIONS = ("scorer", "beam_width", "alpha", "beta", "hot_words")


def add_options(parser, scorer_help, beam_help):
    """--scorer, --beam-width, --alpha, --beta and --hot-words; the first two say what they mean where they are."""
    parser.add_argument("--scorer", help=scorer_help)
    parser.add_argument("--beam-width", dest="beam_width", type=int, help=beam_help)
    parser.add_argument("--alpha", type=float, help="language model weight (default: the scorer's own)")
    parser.add_argument("--beta", type=float, help="word insertion bonus (default: the scorer's own)")
    parser.add_argument("--hot-words", dest="hot_words", metavar="WORD:BOOST,...",
                        help="boost words (negative: discourage them), e.g. kitchen:2.5,garage:1; needs --scorer")


def as_arguments(values):
    """The options given in VALUES (a dict or an argparse namespace) as the device runtime's arguments."""
    values = values if isinstance(values, dict) else vars(values)
    arguments = []
    for option in OPTIONS:
        if values.get(option) is not None:
            arguments += ["--" + option.replace("_", "-"), str(values[option])]
    return arguments


def parse_hot_words(text):
    """'kitchen:2.5,garage:-1' -> {'kitchen': 2.5, 'garage': -1.0}"""
    found = {}
    for item in filter(None, (part.strip() for part in (text or "").split(","))):
        word, _, boost = item.rpartition(":")
        try:
            found[word] = float(boost)
        except ValueError:
            word = ""
        if not word:
            raise UserError("--hot-words item '{}' must be WORD:BOOST, e.g. kitchen:2.5 (a negative boost discourages the word)."
                            .format(item))
    return found
