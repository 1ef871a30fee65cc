"""python -m stt_device FILE...: transcribe WAV files on the device runtime."""
import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from .audio import check_audio, convert, read_wav
from . import beam_search
from . import decoding
from .decoding import DEFAULT_BEAM_WIDTH, parse_hot_words
from .errors import UserError
from .metrics import ErrorRates, read_csv
from .model import TfliteModel


def make_decoder(labels, scorer_path=None, beam_width=None, alpha=None, beta=None, hot=None):
    """None (greedy decoding) unless a scorer, a beam width or hot words ask for the beam search."""
    if scorer_path is None and beam_width is None:
        if hot:
            raise UserError("--hot-words need a scorer: pass --scorer too.")
        return None
    scorer = beam_search.Scorer(scorer_path, labels, alpha, beta) if scorer_path else None
    if scorer is None and (hot or alpha is not None or beta is not None):
        raise UserError("--alpha, --beta and --hot-words need a scorer: pass --scorer too.")
    return beam_search.Decoder(labels, beam_width or DEFAULT_BEAM_WIDTH, scorer, hot_words=hot)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m stt_device", description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", metavar="FILE",
                        help="PCM WAV files; 16 kHz mono 16-bit is what the model was trained on, others are converted")
    parser.add_argument("--csv", metavar="CSV",
                        help="also transcribe every row of an engine CSV (wav_filename, transcript) and score the text "
                             "against its transcripts: CER, WER and the real-time factor, last")
    parser.add_argument("--model", help="path to output_graph.tflite (needed for all but --connect)")
    parser.add_argument("--alphabet", help="alphabet.txt (default: the one embedded in the model)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per file")
    decoding.add_options(parser, scorer_help="a .scorer package: beam search with its language model and vocabulary",
                         beam_help="beam width (default with --scorer: {}; without either: greedy decoding)".format(
                             DEFAULT_BEAM_WIDTH))
    parser.add_argument("--xnnpack", action="store_true",
                        help="run the model on LiteRT's XNNPACK kernels: about twice as fast, but the text may differ "
                             "from the native client's on some files (see `playbook decoder-parity --xnnpack`)")
    parser.add_argument("--probs-out", dest="probs_out", metavar="DIR",
                        help="also save each file's per-frame probabilities as DIR/<file stem>.npy")
    parser.add_argument("--stream", type=int, metavar="MS",
                        help="feed each file in chunks of MS milliseconds, as a live stream is fed, and print the text "
                             "whenever it changes (intermediate results), then the final text")
    parser.add_argument("--describe", action="store_true",
                        help="print what the model is (interface, feature settings, width, alphabet) as JSON")
    parser.add_argument("--serve", metavar="[HOST:]PORT",
                        help="serve the model live: a page that transcribes the microphone as you speak, and its "
                             "WebSocket (stt_device/live.py); PORT alone listens on this machine only")
    parser.add_argument("--max-streams", dest="max_streams", type=int, default=4, metavar="N",
                        help="--serve: live streams at once; more are refused (default: %(default)s)")
    parser.add_argument("--final-after-silence", dest="final_after_silence", type=float, default=1.0, metavar="S",
                        help="--serve: an utterance is final after S seconds of silence (0: only when the page "
                             "stops; default: %(default)s)")
    parser.add_argument("--idle-timeout", dest="idle_timeout", type=float, default=60.0, metavar="S",
                        help="--serve: a connection that sends no audio for S seconds is closed (default: %(default)s)")
    parser.add_argument("--connect", metavar="URL",
                        help="speak FILEs into a running --serve at URL (ws://HOST:PORT/socket), each an utterance, "
                             "and print its partial and final texts: the page without a microphone")
    parser.add_argument("--pace", type=float, default=1.0,
                        help="--connect: 1 sends the audio in real time, as a microphone does; 0 as fast as the "
                             "server takes it (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.connect and not args.files:
        parser.error("--connect needs the audio files to speak into the server")
    if not args.model and not args.connect:
        parser.error("give the model: --model path/to/output_graph.tflite")
    if not args.files and not args.describe and not args.csv and not args.serve:
        parser.error("give the audio files to transcribe (or --csv, --describe or --serve)")
    if args.max_streams < 1:
        parser.error("--max-streams takes at least 1")
    if args.idle_timeout <= 0 or args.final_after_silence < 0:
        parser.error("--idle-timeout takes a number of seconds above 0, --final-after-silence 0 or more")
    if args.stream is not None and args.stream < 1:
        parser.error("--stream takes a chunk length in milliseconds, at least 1")
    try:
        # Check every input (its header) before the model loads, so a typo fails at once; read each when its turn comes.
        references = dict(read_csv(args.csv)) if args.csv else {}
        paths = list(args.files) + list(references)
        for path in paths:
            check_audio(path)
        if args.connect:
            from .live import speak
            return speak(args.connect, paths, args.stream or 20, args.pace, args.json)
        rates, audio_total, compute_total = ErrorRates(), 0.0, 0.0
        model = TfliteModel(args.model, args.alphabet, xnnpack=args.xnnpack)
        if args.describe:
            print(json.dumps(model.describe()), flush=True)
        decoder = make_decoder(model.labels, args.scorer, args.beam_width, args.alpha, args.beta, parse_hot_words(args.hot_words))
        if args.serve:
            from .live import serve
            return serve(model, decoder, args.serve, args.max_streams, args.final_after_silence, args.idle_timeout)
        for path in paths:
            audio = convert(path, read_wav(path), model.sample_rate, report=lambda text: print(text, file=sys.stderr))
            rate = model.sample_rate
            partials = []
            started = time.perf_counter()
            if args.stream:
                stream, chunk = model.stream(decoder), max(1, rate * args.stream // 1000)
                for start in range(0, len(audio), chunk):
                    stream.feed(audio[start:start + chunk])
                    text = stream.intermediate()
                    if text and (not partials or partials[-1]["text"] != text):
                        partials.append({"seconds": round(min(start + chunk, len(audio)) / float(rate), 3), "text": text})
                        if not args.json:
                            print("... " + text, flush=True)
                probs = stream.close()
            else:
                probs = model.probabilities(model.features(audio))
            inferred = time.perf_counter()
            if args.probs_out:
                Path(args.probs_out).mkdir(parents=True, exist_ok=True)
                np.save(str(Path(args.probs_out) / (Path(path).stem + ".npy")), probs)
            text = model.decode(probs, decoder)
            decoded = time.perf_counter()
            audio_total += len(audio) / float(rate)
            compute_total += decoded - started
            scored = rates.add(references[path], text) if path in references else {}
            if args.json:
                result = {"file": str(path), "transcript": text, "audio_seconds": round(len(audio) / float(rate), 3),
                          "inference_seconds": round(inferred - started, 4), "decode_seconds": round(decoded - inferred, 4),
                          "decoder": "greedy" if decoder is None else "beam {}{}".format(
                              decoder.beam_width, " + scorer" if decoder.scorer else "")}
                if args.stream:
                    result["partials"] = partials
                if scored:
                    result.update(reference=references[path], **scored)
                print(json.dumps(result), flush=True)
            else:
                print(text, flush=True)
        if references:
            summary = {"csv": args.csv, "files": len(references), "cer": rates.cer, "wer": rates.wer,
                       "audio_seconds": round(audio_total, 3), "seconds": round(compute_total, 3),
                       "real_time_factor": round(compute_total / audio_total, 4) if audio_total else None}
            if args.json:
                print(json.dumps(summary), flush=True)
            else:
                print("{csv}: {files} files, CER {cer}, WER {wer}; {seconds} s for {audio_seconds} s of audio "
                      "(real-time factor {real_time_factor})".format(**summary), flush=True)
    except UserError as error:
        print("error: {}".format(error), file=sys.stderr)
        return 2
    return 0
