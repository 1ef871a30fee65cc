"""The Augmentation chapter's commands (docs/augmentation.md): noise to overlay, and previews before training."""
from .. import settings
from ..commands import Command, show
from ..errors import UserError


def _noise_arguments(parser):
    parser.add_argument("--from", dest="source", metavar="FOLDER", help="a folder of recordings (WAV, FLAC, Ogg; any rate)")
    parser.add_argument("--name", help="output folder name (default: synthetic, or the --from folder's name)")
    parser.add_argument("--clip-seconds", dest="clip_seconds", type=float, default=10.0,
                        help="with --from: length of the clips recordings are cut into (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=1, help="without --from: random seed (default: %(default)s)")


def _noise(args):
    from . import noise
    if args.source:
        show(noise.from_folder(args.source, args.name, args.clip_seconds))
    else:
        show(noise.synthetic(args.name or "synthetic", seed=args.seed))


def _preview_arguments(parser):
    parser.add_argument("--augment", action="append", metavar="SPEC",
                        help="an augmentation spec or preset:NAME; repeatable (quote it: [ is a shell glob character)")
    parser.add_argument("--csv", default=str(settings.SAMPLE_DATASET / "dev.csv"), help="default: %(default)s")
    parser.add_argument("--files", type=int, default=3, help="how many rows (default: %(default)s)")
    parser.add_argument("--name", help="output folder under {} (default: preview); never overwritten".format(settings.PREVIEWS))
    parser.add_argument("--clock", type=float, default=0.5,
                        help="training progress 0-1 at which a:b ranges are evaluated (default: %(default)s)")
    parser.add_argument("--as-in-training", dest="as_in_training", action="store_true",
                        help="keep each spec's probability p (default: p=1, so every file shows the effect)")
    parser.add_argument("--seed", type=int, default=1, help="default: %(default)s")


def _preview(args):
    from . import specs
    from .preview import preview
    chosen = specs.expand(args.augment or [], "--augment")
    if not chosen:
        raise UserError("say which augmentations to preview: --augment 'volume[dbfs=-30]' (repeatable) or --augment preset:light.")
    show(preview(chosen, args.csv, files=args.files, name=args.name, clock=args.clock, as_in_training=args.as_in_training,
                 seed=args.seed))


COMMANDS = [
    Command("noise", "an overlay source for augmentation: synthetic noise and babble, or your recordings", _noise_arguments,
            _noise, writes_data=True,
            description="Without --from: white, pink and brown noise and babble mixed from the sample corpus's voices, in "
                        "{0}/synthetic/. With --from: your recordings, converted to 16 kHz mono and cut into clips, in "
                        "{0}/<name>/.".format(settings.NOISE)),
    Command("augment-preview", "apply augmentations to a few files: WAVs, before/after images, an index page",
            _preview_arguments, _preview, writes_data=True,
            description="Each augmentation alone on the first --files rows of --csv, with the engine's own code: augmented "
                        "WAVs (sample domain), before/after spectrogram or feature images, index.html and preview.json, in "
                        "{}/<name>/.".format(settings.PREVIEWS)),
]
