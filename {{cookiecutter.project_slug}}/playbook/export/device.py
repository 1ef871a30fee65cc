"""The device runtime as playbook runs it: `python -m stt_device` in its own interpreter (CPython 3.11 with
ai-edge-litert and numpy, never TensorFlow), which is how the model runs on a small device too."""
import os
import sys

from stt_device import decoding

from .. import settings
from ..errors import UserError


def command(model, *arguments, xnnpack=False):
    """The device runtime's command line for MODEL (an output_graph.tflite) with ARGUMENTS, on XNNPACK's kernels if
    asked (stt_device.model.load_interpreter_class says what that changes)."""
    if not os.path.exists(settings.DEVICE_PYTHON):
        raise UserError("device runtime {} not found; set PLAYBOOK_DEVICE_PYTHON to a Python with ai-edge-litert and numpy."
                        .format(settings.DEVICE_PYTHON))
    return ([settings.DEVICE_PYTHON, "-m", "stt_device", "--model", str(model)] + (["--xnnpack"] if xnnpack else [])
            + [str(a) for a in arguments])


def _model_and_decoder(model, run, decoder):
    """MODEL, or RUN's newest export; DECODER with its scorer name resolved to a file."""
    if model is None:
        from .tflite import latest_export
        model = latest_export(run)
    if decoder.get("scorer"):
        from ..scorer.kenlm import resolve_scorer
        decoder["scorer"] = resolve_scorer(decoder["scorer"])
    return model, decoder


def _become(argv):
    """This process becomes the device runtime (its messages and exit status are the command's)."""
    sys.stdout.flush()
    os.execv(argv[0], argv)


def transcribe(files, csv=None, model=None, run=None, as_json=False, xnnpack=False, **decoder):
    """Hand over to the device runtime: FILES and CSV's rows, with MODEL or RUN's newest export, decoded as DECODER
    says."""
    if not files and not csv:
        raise UserError("give the audio files to transcribe, or --csv with a dataset's CSV.")
    model, decoder = _model_and_decoder(model, run, decoder)
    arguments = (["--json"] if as_json else []) + (["--csv", csv] if csv else []) + decoding.as_arguments(decoder)
    _become(command(model, *(arguments + list(files)), xnnpack=xnnpack))


def live(address, model=None, run=None, max_streams=None, final_after_silence=None, xnnpack=False, **decoder):
    """Hand over to the device runtime's live server (stt_device/live.py) at ADDRESS, with MODEL or RUN's newest
    export."""
    model, decoder = _model_and_decoder(model, run, decoder)
    arguments = ["--serve", address] + decoding.as_arguments(decoder)
    if max_streams is not None:
        arguments += ["--max-streams", max_streams]
    if final_after_silence is not None:
        arguments += ["--final-after-silence", final_after_silence]
    _become(command(model, *arguments, xnnpack=xnnpack))
