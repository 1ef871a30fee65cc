"""The TFLite chapter's commands (docs/tflite.md): an export of a checkpoint, transcribing with it on the device
runtime (from files, or live from a microphone: the Try it live chapter, docs/live.md), the same model as a page
that transcribes in the browser (web-export, web-serve: docs/live.md too), and the device decoder checked against
the engine's."""
from stt_device.decoding import DEFAULT_BEAM_WIDTH, parse_hot_words

from ..commands import Command, checkpoint_option, decoder_options, show
from ..errors import UserError


def _export_arguments(parser):
    parser.add_argument("--run", required=True)
    checkpoint_option(parser, "best")
    weights = parser.add_mutually_exclusive_group()
    weights.add_argument("--float", dest="quantize", action="store_false", default=None,
                         help="float32 weights, in <checkpoint>-float/ (default: the run's export_quantize, true)")
    weights.add_argument("--quantize", dest="quantize", action="store_true",
                         help="dynamic-range quantised (int8) weights: about 4x smaller")
    parser.add_argument("--to", metavar="DIR", help="write the export into this new folder (default: "
                                                    "/data/exports/<run>/<checkpoint>[-float]); an existing one is refused")


def _export(args):
    from .tflite import export
    show(export(args.run, args.checkpoint, command_line=args.command_line, quantize=args.quantize, to=args.to))


def _xnnpack_option(parser):
    parser.add_argument("--xnnpack", action="store_true",
                        help="the device runtime on LiteRT's XNNPACK kernels: about twice as fast, but the text may differ "
                             "from the native client's on some files (`playbook decoder-parity --xnnpack` measures it)")


def _serve_option(parser):
    parser.add_argument("--serve", default="8080", metavar="[HOST:]PORT",
                        help="where to listen: PORT alone is this machine only; 0.0.0.0:PORT every interface, which "
                             "a container needs for its published port (default: %(default)s)")


def _transcribe_arguments(parser):
    parser.add_argument("files", nargs="*", metavar="FILE")
    parser.add_argument("--csv", metavar="CSV", help="also every row of a dataset CSV, scored against its transcripts "
                                                     "(CER and WER, last)")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--run", help="use the run's newest export")
    source.add_argument("--model", help="path to an output_graph.tflite")
    parser.add_argument("--json", action="store_true")
    _xnnpack_option(parser)
    decoder_options(parser, "{} with a scorer; without one, greedy decoding".format(DEFAULT_BEAM_WIDTH))


def _transcribe(args):
    from .device import transcribe
    transcribe(args.files, csv=args.csv, model=args.model, run=args.run, as_json=args.json, xnnpack=args.xnnpack,
               scorer=args.scorer,
               beam_width=args.beam_width, alpha=args.alpha, beta=args.beta, hot_words=args.hot_words)


def _live_arguments(parser):
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--run", help="use the run's newest export")
    source.add_argument("--model", help="path to an output_graph.tflite")
    _serve_option(parser)
    parser.add_argument("--max-streams", dest="max_streams", type=int, metavar="N",
                        help="live streams at once; more are refused (default: the device runtime's, 4)")
    parser.add_argument("--final-after-silence", dest="final_after_silence", type=float, metavar="S",
                        help="an utterance is final after S seconds of silence; 0: only when the page stops "
                             "(default: the device runtime's, 1.0)")
    _xnnpack_option(parser)
    decoder_options(parser, "{} with a scorer; without one, greedy decoding".format(DEFAULT_BEAM_WIDTH))


def _live(args):
    from .device import live
    live(args.serve, model=args.model, run=args.run, max_streams=args.max_streams,
         final_after_silence=args.final_after_silence, xnnpack=args.xnnpack, scorer=args.scorer, beam_width=args.beam_width,
         alpha=args.alpha, beta=args.beta, hot_words=args.hot_words)


def _parity_arguments(parser):
    parser.add_argument("files", nargs="+", metavar="FILE")
    parser.add_argument("--run", required=True, help="the run whose alphabet (and newest export) to use")
    parser.add_argument("--model", help="an output_graph.tflite (default: the run's newest export)")
    _xnnpack_option(parser)
    decoder_options(parser, str(DEFAULT_BEAM_WIDTH))


def _parity(args):
    from .parity import compare_run
    result = compare_run(args.run, args.model, args.files, args.scorer, args.beam_width, args.alpha, args.beta,
                         parse_hot_words(args.hot_words), xnnpack=args.xnnpack)
    show(result)
    if result["agree"] != result["files"]:
        raise UserError("the device decoder disagrees with the engine's on {} of {} files (listed above)."
                        .format(result["files"] - result["agree"], result["files"]))


def _web_export_arguments(parser):
    parser.add_argument("--run", required=True, help="the run whose newest export goes into the page")
    parser.add_argument("--model", help="an output_graph.tflite instead (default: the run's newest export)")
    parser.add_argument("--out", metavar="DIR", help="the new folder to write (default: /data/web/<run>/<export>[-<scorer>]); "
                                                     "an existing one is refused")
    decoder_options(parser, "{}; the page decodes with it".format(DEFAULT_BEAM_WIDTH))


def _web_export(args):
    from .web import export
    show(export(args.run, model=args.model, out=args.out, scorer=args.scorer, beam_width=args.beam_width, alpha=args.alpha,
                beta=args.beta, hot_words=args.hot_words))


def _web_serve_arguments(parser):
    parser.add_argument("folder", metavar="DIR", help="a folder `playbook web-export` wrote")
    _serve_option(parser)


def _web_serve(args):
    from .web import serve
    serve(args.folder, args.serve)


COMMANDS = [
    Command("export", "export a checkpoint to TFLite", _export_arguments, _export, writes_data=True),
    Command("transcribe", "transcribe WAV files with an exported model (no TensorFlow)", _transcribe_arguments, _transcribe),
    Command("live", "serve an exported model live: a page that transcribes the microphone as you speak (docs/live.md)",
            _live_arguments, _live),
    Command("web-export", "a static page that transcribes with the model in the visitor's browser, no server of ours "
                          "(docs/live.md)", _web_export_arguments, _web_export, writes_data=True),
    Command("web-serve", "serve a web-export folder with the headers its WebAssembly client needs", _web_serve_arguments,
            _web_serve),
    Command("decoder-parity", "the device decoder's text against the engine decoder's, on the same probabilities",
            _parity_arguments, _parity),
]
