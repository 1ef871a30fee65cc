"""playbook: the project's starter commands.

  sample      make the synthetic espeak-ng corpus on the data volume
  train       start a named run
  resume      continue a named run from its last checkpoint
  export      export a run's checkpoint to TFLite
  transcribe  transcribe WAV files with an exported model (no TensorFlow)
"""
import argparse
import json
import os
import sys

from . import settings
from .errors import UserError


def _print(result):
    print(json.dumps(result, indent=2), flush=True)


def _cmd_sample(args):
    from .sample import make_sample
    manifest = make_sample(args.out, seed=args.seed)
    state = "already there, kept as it is" if manifest["reused"] else "written"
    print("sample corpus {}: {} ({} files, {} s of audio)".format(
        state, args.out, sum(manifest["files"].values()), manifest["seconds_of_audio"]))


def _cmd_train(args):
    from .training import train
    overrides = {key: getattr(args, key) for key in ("epochs", "n_hidden", "learning_rate", "train_batch_size")}
    _print(train(args.run, args.dataset, overrides))


def _cmd_resume(args):
    from .training import resume
    _print(resume(args.run, args.epochs))


def _cmd_export(args):
    from .training import export
    _print(export(args.run, args.checkpoint))


def _cmd_transcribe(args):
    from .training import latest_export
    model = args.model or str(latest_export(args.run))
    command = [settings.DEVICE_PYTHON, "-m", "playbook.transcribe", "--model", model] + (["--json"] if args.json else []) + args.files
    # The device runtime is its own interpreter without TensorFlow.
    if not os.path.exists(settings.DEVICE_PYTHON):
        raise UserError("device runtime {} not found; set PLAYBOOK_DEVICE_PYTHON to a Python with tflite-runtime and numpy.".format(
            settings.DEVICE_PYTHON))
    sys.stdout.flush()
    os.execv(settings.DEVICE_PYTHON, command)


def parser():
    main = argparse.ArgumentParser(prog="playbook", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = main.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    sample = commands.add_parser("sample", help="make the synthetic sample corpus")
    sample.add_argument("--out", default=str(settings.SAMPLE_DATASET), help="default: %(default)s")
    sample.add_argument("--seed", type=int, default=1, help="default: %(default)s")
    sample.set_defaults(func=_cmd_sample)

    defaults = settings.TRAIN_DEFAULTS
    train = commands.add_parser("train", help="start a named run")
    train.add_argument("--run", required=True, help="run name; its folder is {}/<run>".format(settings.RUNS))
    train.add_argument("--dataset", default=str(settings.SAMPLE_DATASET), help="folder with train.csv, dev.csv, alphabet.txt (default: %(default)s)")
    train.add_argument("--epochs", type=int, help="default: {}".format(defaults["epochs"]))
    train.add_argument("--n-hidden", dest="n_hidden", type=int, help="default: {}".format(defaults["n_hidden"]))
    train.add_argument("--learning-rate", dest="learning_rate", type=float, help="default: {}".format(defaults["learning_rate"]))
    train.add_argument("--batch-size", dest="train_batch_size", type=int, help="default: {}".format(defaults["train_batch_size"]))
    train.set_defaults(func=_cmd_train)

    resume = commands.add_parser("resume", help="continue a run from its last checkpoint")
    resume.add_argument("--run", required=True)
    resume.add_argument("--epochs", type=int, help="more epochs to train (default: {})".format(defaults["resume_epochs"]))
    resume.set_defaults(func=_cmd_resume)

    export = commands.add_parser("export", help="export a checkpoint to TFLite")
    export.add_argument("--run", required=True)
    export.add_argument("--checkpoint", choices=["best", "last"], default="best", help="default: %(default)s")
    export.set_defaults(func=_cmd_export)

    transcribe = commands.add_parser("transcribe", help="transcribe WAV files with an exported model")
    transcribe.add_argument("files", nargs="+", metavar="FILE")
    source = transcribe.add_mutually_exclusive_group(required=True)
    source.add_argument("--run", help="use the run's newest export")
    source.add_argument("--model", help="path to an output_graph.tflite")
    transcribe.add_argument("--json", action="store_true")
    transcribe.set_defaults(func=_cmd_transcribe)
    return main


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        args.func(args)
    except UserError as error:
        print("error: {}".format(error), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; the run's last saved checkpoint is kept.", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
