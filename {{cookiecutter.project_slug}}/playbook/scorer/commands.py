"""The External scorer chapter's commands (docs/scorer.md): a KenLM language model and `.scorer` package from
text, what a package holds, and its alpha and beta tuned for a run."""
from .. import settings
from ..commands import Command, checkpoint_option, show


def _lm_arguments(parser):
    from .kenlm import DEFAULTS as LM, POLICIES
    parser.add_argument("--corpus", action="append", metavar="FILE",
                        help="text or .gz, one sentence per line; repeatable (default: the sample's lm-corpus.txt)")
    alphabet = parser.add_mutually_exclusive_group()
    alphabet.add_argument("--alphabet", help="the model's alphabet.txt (default: the sample dataset's)")
    alphabet.add_argument("--run", help="take the alphabet of this run")
    parser.add_argument("--name", help="output folder name (default: sample, or the first corpus's name)")
    parser.add_argument("--order", type=int, help="n-gram order, 2-6 (default: {})".format(LM["order"]))
    parser.add_argument("--top-k", dest="top_k", type=int, help="vocabulary size: most frequent words kept (default: {})".format(LM["top_k"]))
    parser.add_argument("--prune", help="lmplz --prune thresholds per order, '|'-separated, e.g. 0|0|1 (default: {})".format(LM["prune"]))
    parser.add_argument("--memory", help="lmplz memory cap, e.g. 25%% or 4G (default: {})".format(LM["memory"].replace("%", "%%")))
    parser.add_argument("--binary-type", dest="binary_type", choices=["trie", "probing"], help="default: {}".format(LM["binary_type"]))
    parser.add_argument("--a-bits", dest="a_bits", type=int, help="trie pointer compression bits (default: {})".format(LM["a_bits"]))
    parser.add_argument("--q-bits", dest="q_bits", type=int, help="trie probability quantisation bits (default: {})".format(LM["q_bits"]))
    parser.add_argument("--unknown-chars", dest="unknown_chars", choices=POLICIES,
                        help="what to do with characters outside the alphabet (default: {})".format(LM["unknown_chars"]))
    parser.add_argument("--map", action="append", default=[], metavar="CHAR=TEXT", help="replace a character first; repeatable")
    parser.add_argument("--alpha", type=float, help="default alpha stored in the package (default: {:.4f})".format(LM["alpha"]))
    parser.add_argument("--beta", type=float, help="default beta stored in the package (default: {:.4f})".format(LM["beta"]))
    parser.add_argument("--bytes-mode", dest="bytes_mode", action="store_true", help="UTF-8 bytes output mode (no alphabet FST)")
    parser.add_argument("--discount-fallback", dest="discount_fallback", action="store_true",
                        help="lmplz --discount_fallback from the start (default: only when the corpus needs it)")
    parser.add_argument("--keep-arpa", dest="keep_arpa", action="store_true", help="keep lm.arpa and lm_filtered.arpa")


def _lm(args):
    from ..data.text import parse_mapping
    from . import kenlm
    options = {key: getattr(args, key) for key in ("order", "top_k", "prune", "memory", "binary_type", "a_bits", "q_bits",
                                                   "unknown_chars", "alpha", "beta", "bytes_mode", "discount_fallback",
                                                   "keep_arpa")}
    show(kenlm.build_for(args.name, args.corpus, alphabet=args.alphabet, run=args.run,
                         mapping=parse_mapping(args.map), **options))


def _info_arguments(parser):
    parser.add_argument("scorer", help="a .scorer file or the name of a `playbook lm` build")
    parser.add_argument("--run", help="also check that the scorer fits this run's alphabet, with the engine's decoder")


def _info(args):
    from .kenlm import info_for
    show(info_for(args.scorer, args.run))


def _tune_arguments(parser):
    parser.add_argument("--run", required=True)
    parser.add_argument("--scorer", required=True, help="a .scorer file or the name of a `playbook lm` build")
    checkpoint_option(parser, "best")
    parser.add_argument("--trials", type=int, default=20, help="Optuna trials (default: %(default)s; the engine's is 2400)")
    parser.add_argument("--alpha-max", dest="alpha_max", type=int, default=5, help="whole number (the engine's flag is an int); default: %(default)s")
    parser.add_argument("--beta-max", dest="beta_max", type=int, default=5, help="whole number; default: %(default)s")
    parser.add_argument("--beam-width", dest="beam_width", type=int, help="default: 500, the engine's")


def _tune(args):
    from .tune import tune_scorer
    show(tune_scorer(args.run, args.scorer, args.checkpoint, trials=args.trials, alpha_max=args.alpha_max,
                     beta_max=args.beta_max, beam_width=args.beam_width, command_line=args.command_line))


COMMANDS = [
    Command("lm", "build a KenLM language model and a .scorer package from text", _lm_arguments, _lm, writes_data=True,
            description="Text -> normalised corpus -> top-k vocabulary -> lmplz ARPA -> filter -> build_binary -> .scorer, "
                        "in {}/<name>/.".format(settings.LMS)),
    Command("scorer-info", "a scorer package's header and sizes; with --run, whether it fits that run", _info_arguments,
            _info),
    Command("tune-scorer", "find the scorer's alpha and beta on the dev set and store them in it", _tune_arguments, _tune,
            writes_data=True),
]
