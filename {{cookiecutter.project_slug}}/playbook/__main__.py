"""playbook: the project's starter commands.

  sample       make the synthetic espeak-ng corpus on the data volume
  import       your recordings (Common Voice, LibriSpeech, a folder, a manifest, CSVs) to a checked dataset
  check-dataset  check every row of a dataset: audio, length, transcript, alphabet
  export-manifest  a dataset as NeMo-style JSON-lines manifests
  train        start a named run (settings: defaults < --config FILE < --set key=value)
  resume       continue a run from its last (or best) checkpoint
  evaluate     WER/CER of a checkpoint on a test set, with best, median and worst samples
  export       export a checkpoint to TFLite
  finetune     new run from another run's weights: same alphabet, new data, lower learning rate
  import-checkpoint  a released checkpoint (DeepSpeech 0.9.3, Coqui STT 1.x) as a read-only run to start from
  transfer     new run for a new alphabet: another run's weights without its output layers
  runs         list runs; checkpoints: list a run's checkpoints
  search       Optuna search over learning rate, dropout and n_hidden
  config       list every setting with its default, engine flag and when to change it
  augment-preview  apply augmentations to a few files: WAVs, before/after images, an index page
  noise        an overlay source for augmentation: synthetic noise and babble, or your recordings
  lm           build a KenLM language model and a .scorer package from text
  scorer-info  a scorer package's header and sizes; with --run, whether it fits that run
  tune-scorer  find the scorer's alpha and beta on the dev set and store them in it
  transcribe   transcribe WAV files with an exported model (no TensorFlow)
  decoder-parity  the device decoder's text against the engine decoder's, on the same probabilities
  doctor       whether this machine will train, and on what: driver, GPUs, TensorFlow, CPU, /dev/shm, /data
  sync         push or pull datasets, runs and exports to or from a bucket (rclone)
"""
import argparse
import json
import os
import shlex
import sys
from pathlib import Path

from . import settings
from .errors import UserError


def _print(result):
    print(json.dumps(result, indent=2), flush=True)


def _table(rows, columns):
    if not rows:
        print("(none)")
        return
    cells = [[str(row.get(c, "")) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths)))
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths)))


def _cmd_sample(args):
    from .sample import make_sample
    manifest = make_sample(args.out, seed=args.seed, digits=args.digits)
    state = "already there, kept as it is" if manifest["reused"] else "written"
    print("sample corpus {}: {} ({} files, {} s of audio)".format(
        state, args.out, sum(manifest["files"].values()), manifest["seconds_of_audio"]))


def _cmd_train(args):
    from .training import train
    _print(train(args.run, args.dataset, args.config, args.set, command_line=args.command_line,
                 resume_if_exists=args.resume_if_exists))


def _cmd_resume(args):
    from .training import resume
    _print(resume(args.run, load=args.load, epochs=args.epochs, command_line=args.command_line))


def _cmd_evaluate(args):
    from .training import evaluate
    from stt_device.beam_search import parse_hot_words as hot_words
    _print(evaluate(args.run, args.checkpoint, args.dataset, command_line=args.command_line, scorer=args.scorer,
                    alpha=args.alpha, beta=args.beta, beam_width=args.beam_width, hot_words=hot_words(args.hot_words)))


def _cmd_import(args):
    from .data.importer import run_import
    from .data.text import parse_mapping
    split = None
    if args.split:
        try:
            split = [float(value) for value in args.split.split(",")]
        except ValueError:
            raise UserError("--split {!r}: write three numbers, train,dev,test, such as 0.8,0.1,0.1.".format(args.split))
    _print(run_import(args.layout, args.source, args.name, alphabet=args.alphabet, mapping=parse_mapping(args.map),
                      keep_case=args.keep_case, locale=args.locale, table=args.table, audio_column=args.audio_column,
                      text_column=args.text_column, speaker_column=args.speaker_column, cv_tsv=args.cv_tsv, split=split,
                      seed=args.seed, min_seconds=args.min_seconds, max_seconds=args.max_seconds, workers=args.workers))


def _cmd_export_manifest(args):
    from .data.manifest import write_manifests
    _print(write_manifests(args.dataset, args.out))


def _cmd_check_dataset(args):
    from .data import validate
    rows = validate.check_dataset(args.folder, deep=args.deep, min_seconds=args.min_seconds, max_seconds=args.max_seconds)
    rejected = [row for split_rows in rows.values() for row in split_rows if row.reason]
    for row in rejected[:args.show]:
        print("{}: {}{} ({})".format(row.where(), row.reason, ": " + row.detail if row.detail else "", row.wav))
    if len(rejected) > args.show:
        print("... and {} more rows (--show N prints more)".format(len(rejected) - args.show))
    report = {"dataset": str(args.folder), "deep": args.deep, "min_seconds": args.min_seconds, "max_seconds": args.max_seconds,
              "splits": {split: validate.summary(split_rows) for split, split_rows in rows.items()}}
    _print(report)
    stopping = [row for row in rejected if row.reason in validate.ERRORS]
    if stopping:
        raise UserError("{} rows would stop training (listed above); fix or remove them, or import the data again with "
                        "`playbook import`.".format(len(stopping)))


def _cmd_noise(args):
    from . import noise
    if args.source:
        _print(noise.from_folder(args.source, args.name, args.clip_seconds))
    else:
        _print(noise.synthetic(args.name or "synthetic", seed=args.seed))


def _cmd_augment_preview(args):
    from . import augment
    from .augment_preview import preview
    specs = augment.expand(args.augment or [], "--augment")
    if not specs:
        raise UserError("say which augmentations to preview: --augment 'volume[dbfs=-30]' (repeatable) or --augment preset:light.")
    _print(preview(specs, args.csv, files=args.files, name=args.name, clock=args.clock, as_in_training=args.as_in_training,
                   seed=args.seed))


def _cmd_lm(args):
    from . import lm
    from .data.text import parse_mapping
    from .sample import LM_CORPUS
    if args.run:
        from .training import load_run
        alphabet = load_run(args.run)[0] / "alphabet.txt"
    else:
        alphabet = args.alphabet or settings.SAMPLE_DATASET / "alphabet.txt"
    corpora = args.corpus or [settings.SAMPLE_DATASET / LM_CORPUS]
    name = args.name or ("sample" if not args.corpus else Path(corpora[0]).name.split(".")[0])
    mapping = parse_mapping(args.map)
    _print(lm.build(name, corpora, alphabet, order=args.order, top_k=args.top_k, prune=args.prune, memory=args.memory,
                    binary_type=args.binary_type, a_bits=args.a_bits, q_bits=args.q_bits, unknown_chars=args.unknown_chars,
                    mapping=mapping, alpha=args.alpha, beta=args.beta, bytes_mode=args.bytes_mode,
                    discount_fallback=args.discount_fallback, keep_arpa=args.keep_arpa))


def _cmd_scorer_info(args):
    from . import lm
    path = lm.resolve_scorer(args.scorer)
    result = lm.info(path)
    if args.run:
        from .training import check_scorer, load_run
        check_scorer(load_run(args.run)[0], path)
        result["fits_run"] = args.run
    _print(result)


def _cmd_tune_scorer(args):
    from .training import tune_scorer
    _print(tune_scorer(args.run, args.scorer, args.checkpoint, trials=args.trials, alpha_max=args.alpha_max,
                       beta_max=args.beta_max, beam_width=args.beam_width, command_line=args.command_line))


def _cmd_export(args):
    from .training import export
    _print(export(args.run, args.checkpoint, command_line=args.command_line, quantize=args.quantize, to=args.to))


def _cmd_finetune(args):
    from .training import finetune
    _print(finetune(args.source, args.run, args.dataset, args.config, args.set, load=args.load, command_line=args.command_line))


def _cmd_transfer(args):
    from .training import transfer
    _print(transfer(args.source, args.run, args.dataset, args.drop_layers, args.config, args.set, load=args.load,
                    command_line=args.command_line))


def _cmd_import_checkpoint(args):
    from .training import import_checkpoint
    _print(import_checkpoint(args.folder, args.name, alphabet=args.alphabet, command_line=args.command_line))


def _cmd_runs(args):
    from .training import list_runs
    rows = list_runs()
    if args.json:
        return _print(rows)
    for row in rows:
        row["size"] = "{:.1f} MB".format(row["bytes"] / 1e6)
        row["best_dev_loss"] = "" if row["best_dev_loss"] is None else "{:.3f}".format(row["best_dev_loss"])
    _table(rows, ["run", "kind", "engine", "epochs", "last_step", "best_dev_step", "best_dev_loss", "created", "updated", "size"])


def _cmd_checkpoints(args):
    from .training import list_checkpoints, load_run
    run, _ = load_run(args.run)
    rows = list_checkpoints(run)
    if args.json:
        return _print(rows)
    for row in rows:
        row["size"] = "{:.1f} MB".format(row["bytes"] / 1e6)
    _table(rows, ["checkpoint", "kind", "step", "saved", "size"])


def _cmd_search(args):
    from .search import search
    _print(search(args.name, args.dataset, trials=args.trials, epochs=args.epochs, seed=args.seed, base_overrides=args.set))


def _cmd_config(args):
    from . import config
    if args.markdown:
        sys.stdout.write(config.markdown_table())
    else:
        sys.stdout.write(config.to_toml(config.defaults(), documented=True))


def _cmd_transcribe(args):
    if not args.files and not args.csv:
        raise UserError("give the audio files to transcribe, or --csv with a dataset's CSV.")
    from .training import latest_export
    model = args.model or str(latest_export(args.run))
    command = [settings.DEVICE_PYTHON, "-m", "stt_device", "--model", model] + (["--json"] if args.json else [])
    if args.csv:
        command += ["--csv", args.csv]
    if args.scorer:
        from .lm import resolve_scorer
        command += ["--scorer", str(resolve_scorer(args.scorer))]
    for option in ("beam_width", "alpha", "beta", "hot_words"):
        if getattr(args, option) is not None:
            command += ["--" + option.replace("_", "-"), str(getattr(args, option))]
    command += args.files
    # The device runtime is its own interpreter without TensorFlow.
    if not os.path.exists(settings.DEVICE_PYTHON):
        raise UserError("device runtime {} not found; set PLAYBOOK_DEVICE_PYTHON to a Python with ai-edge-litert and numpy.".format(
            settings.DEVICE_PYTHON))
    sys.stdout.flush()
    os.execv(settings.DEVICE_PYTHON, command)


def _cmd_decoder_parity(args):
    from .lm import resolve_scorer
    from .parity import compare
    from .training import latest_export, load_run
    from stt_device.beam_search import parse_hot_words as hot_words
    run, _ = load_run(args.run)
    model = args.model or latest_export(args.run)
    result = compare(run, model, args.files, resolve_scorer(args.scorer) if args.scorer else None,
                     args.beam_width or 100, args.alpha, args.beta, hot_words(args.hot_words))
    _print(result)
    if result["agree"] != result["files"]:
        raise UserError("the device decoder disagrees with the engine's on {} of {} files (listed above)."
                        .format(result["files"] - result["agree"], result["files"]))


def _cmd_doctor(args):
    from .cloud import doctor
    report = doctor.diagnose()
    if args.json:
        _print(report)
    else:
        doctor.print_report(report)
    if report["verdicts"]["fail"]:
        raise SystemExit(1)


def _cmd_sync(args):
    from .cloud import sync
    for item in args.what or ():
        if item.startswith("/") or ".." in item.split("/"):
            raise UserError("sync: '{}' must be a folder of the data volume such as runs or runs/demo.".format(item))
    if args.delete and args.direction == "pull":
        raise UserError("sync pull never deletes local files; --delete is for push only.")
    what = args.what or sync.DEFAULT_WHAT
    rows = sync.push(args.remote, what, delete=args.delete) if args.direction == "push" else sync.pull(args.remote, what)
    _print({"direction": args.direction, "objects": sum(r["objects"] for r in rows), "bytes": sum(r["bytes"] for r in rows),
            "folders": rows})


def _settings_options(parser):
    parser.add_argument("--config", metavar="FILE", help="TOML file of settings (`playbook config` prints them all)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override one setting; repeatable")


def _decoder_options(parser, beam_default):
    parser.add_argument("--scorer", help="a .scorer file, or the name of a `playbook lm` build (default: no scorer)")
    parser.add_argument("--beam-width", dest="beam_width", type=int, help="CTC beam width (default: {})".format(beam_default))
    parser.add_argument("--alpha", type=float, help="language model weight (default: the scorer's own)")
    parser.add_argument("--beta", type=float, help="word insertion bonus (default: the scorer's own)")
    parser.add_argument("--hot-words", dest="hot_words", metavar="WORD:BOOST,...",
                        help="boost words (negative: discourage them), e.g. kitchen:2.5,garage:1; needs --scorer")


def _checkpoint_option(parser, default):
    parser.add_argument("--checkpoint", default=default,
                        help="best, last, train-N, best_dev-N or kept/best_dev-N (default: %(default)s)")


def parser():
    main = argparse.ArgumentParser(prog="playbook", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = main.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    dataset_help = "folder with train.csv, dev.csv (test.csv) and alphabet.txt (default: %(default)s)"

    sample = commands.add_parser("sample", help="make the synthetic sample corpus")
    sample.add_argument("--out", default=str(settings.SAMPLE_DATASET), help="default: %(default)s")
    sample.add_argument("--seed", type=int, default=1, help="which sentences go to which split and voice (default: %(default)s)")
    sample.add_argument("--digits", action="store_true", help="write numbers as digits: the alphabet gains 0-9")
    sample.set_defaults(func=_cmd_sample)

    train = commands.add_parser("train", help="start a named run")
    train.add_argument("--run", required=True, help="run name; its folder is {}/<run>".format(settings.RUNS))
    train.add_argument("--dataset", default=str(settings.SAMPLE_DATASET), help=dataset_help)
    train.add_argument("--resume-if-exists", dest="resume_if_exists", action="store_true",
                       help="if the run exists with the same settings, continue it toward its total epochs "
                            "(a restarted cloud job); the budget settings may change")
    _settings_options(train)
    train.set_defaults(func=_cmd_train)

    resume = commands.add_parser("resume", help="continue a run from its last checkpoint")
    resume.add_argument("--run", required=True)
    resume.add_argument("--load", choices=["last", "best"], default="last", help="which checkpoint to continue from (default: %(default)s)")
    resume.add_argument("--epochs", type=int, help="more epochs to train (default: the run's resume_epochs)")
    resume.set_defaults(func=_cmd_resume)

    evaluate = commands.add_parser("evaluate", help="WER/CER of a checkpoint on a test set")
    evaluate.add_argument("--run", required=True)
    _checkpoint_option(evaluate, "best")
    evaluate.add_argument("--dataset", help="folder with test.csv (default: the run's dataset)")
    _decoder_options(evaluate, "500, the engine's")
    evaluate.set_defaults(func=_cmd_evaluate)

    export = commands.add_parser("export", help="export a checkpoint to TFLite")
    export.add_argument("--run", required=True)
    _checkpoint_option(export, "best")
    weights = export.add_mutually_exclusive_group()
    weights.add_argument("--float", dest="quantize", action="store_false", default=None,
                         help="float32 weights, in <checkpoint>-float/ (default: the run's export_quantize, true)")
    weights.add_argument("--quantize", dest="quantize", action="store_true",
                         help="dynamic-range quantised (int8) weights: about 4x smaller")
    export.add_argument("--to", metavar="DIR", help="write the export into this new folder (default: "
                                                    "/data/exports/<run>/<checkpoint>[-float]); an existing one is refused")
    export.set_defaults(func=_cmd_export)

    for name, helptext in (("finetune", "new run seeded from another run's weights (same alphabet)"),
                           ("transfer", "new run for a new alphabet from another run's weights")):
        command = commands.add_parser(name, help=helptext)
        command.add_argument("--from", dest="source", required=True, metavar="RUN", help="the source run")
        command.add_argument("--run", required=True, help="the new run's name")
        command.add_argument("--dataset", required=True, help="folder with train.csv, dev.csv and alphabet.txt")
        command.add_argument("--load", choices=["best", "last"], default="best", help="source checkpoint (default: %(default)s)")
        if name == "transfer":
            command.add_argument("--drop-layers", dest="drop_layers", type=int, default=1,
                                 help="how many output-side layers to re-initialise, 1-5 (default: %(default)s)")
        _settings_options(command)
        command.set_defaults(func=_cmd_finetune if name == "finetune" else _cmd_transfer)

    imported = commands.add_parser("import-checkpoint", help="a released checkpoint folder as a read-only run to start from",
                                   description="Reads the checkpoint's variables (n_hidden, CuDNN, output size), checks them "
                                               "against its alphabet and registers it as a run that finetune --from, "
                                               "transfer --from, evaluate and export take.")
    imported.add_argument("folder", help="the unpacked checkpoint folder (checkpoint state file, .index/.data/.meta, "
                                         "flags.txt, alphabet.txt)")
    imported.add_argument("--name", required=True, help="the run name it gets")
    imported.add_argument("--alphabet", help="its alphabet.txt, where the folder has none")
    imported.set_defaults(func=_cmd_import_checkpoint)

    runs = commands.add_parser("runs", help="list runs")
    runs.add_argument("--json", action="store_true")
    runs.set_defaults(func=_cmd_runs)

    checkpoints = commands.add_parser("checkpoints", help="list a run's checkpoints")
    checkpoints.add_argument("--run", required=True)
    checkpoints.add_argument("--json", action="store_true")
    checkpoints.set_defaults(func=_cmd_checkpoints)

    search = commands.add_parser("search", help="Optuna search over learning rate, dropout and n_hidden")
    search.add_argument("--name", required=True, help="search name; trials are runs <name>-tNN")
    search.add_argument("--dataset", default=str(settings.SAMPLE_DATASET), help=dataset_help)
    search.add_argument("--trials", type=int, default=4, help="default: %(default)s")
    search.add_argument("--epochs", type=int, default=8, help="epochs per trial (default: %(default)s)")
    search.add_argument("--seed", type=int, default=1, help="sampler seed (default: %(default)s)")
    search.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="fixed setting for every trial")
    search.set_defaults(func=_cmd_search)

    config = commands.add_parser("config", help="print every setting with its default, engine flag and advice")
    config.add_argument("--markdown", action="store_true", help="as a Markdown table")
    config.set_defaults(func=_cmd_config)

    transcribe = commands.add_parser("transcribe", help="transcribe WAV files with an exported model")
    transcribe.add_argument("files", nargs="*", metavar="FILE")
    transcribe.add_argument("--csv", metavar="CSV", help="also every row of a dataset CSV, scored against its transcripts "
                                                         "(CER and WER, last)")
    source = transcribe.add_mutually_exclusive_group(required=True)
    source.add_argument("--run", help="use the run's newest export")
    source.add_argument("--model", help="path to an output_graph.tflite")
    transcribe.add_argument("--json", action="store_true")
    _decoder_options(transcribe, "100 with a scorer; without one, greedy decoding")
    transcribe.set_defaults(func=_cmd_transcribe)

    parity = commands.add_parser("decoder-parity", help="compare the device decoder with the engine's on the same audio")
    parity.add_argument("files", nargs="+", metavar="FILE")
    parity.add_argument("--run", required=True, help="the run whose alphabet (and newest export) to use")
    parity.add_argument("--model", help="an output_graph.tflite (default: the run's newest export)")
    _decoder_options(parity, "100")
    parity.set_defaults(func=_cmd_decoder_parity)

    from .lm import DEFAULTS as LM, POLICIES
    from .data.validate import DEFAULT_MAX_SECONDS, DEFAULT_MIN_SECONDS
    from .data.sources import LAYOUTS
    imported = commands.add_parser(
        "import", help="your recordings to a dataset: audio converted, transcripts normalised, rows checked, alphabet, splits",
        description="Reads a corpus in one of the layouts below and writes {}/<name>/ (train/dev/test.csv, audio/, "
                    "alphabet.txt, rejected.csv, import.json, import.png). Layouts: common-voice (a release folder: "
                    "clips/ and train/dev/test.tsv), librispeech (<subset>/<speaker>/<chapter>/*.flac and .trans.txt), "
                    "folder (recordings with a .txt each, or --table for one CSV/TSV/id|text table), manifest (NeMo "
                    "JSON lines), csv (a DeepSpeech CSV set). See docs/data.md.".format(settings.DATASETS))
    imported.add_argument("layout", choices=sorted(LAYOUTS))
    imported.add_argument("source", help="the corpus folder (for manifest: the .json manifest file)")
    imported.add_argument("--name", required=True, help="the dataset's folder name under {}".format(settings.DATASETS))
    imported.add_argument("--alphabet", help="keep this alphabet.txt (an existing model's, to fine-tune it): rows it cannot "
                                             "spell are rejected (default: built from the transcripts)")
    imported.add_argument("--map", action="append", default=[], metavar="CHAR=TEXT",
                          help="replace a character in every transcript first, e.g. --map 'é=e'; repeatable")
    imported.add_argument("--keep-case", dest="keep_case", action="store_true", help="do not lowercase the transcripts")
    imported.add_argument("--locale", help="the transcripts' language, for lowercasing (tr, az: I -> ı); common-voice: "
                                           "default the release folder's name")
    imported.add_argument("--table", help="folder: one table for the whole folder (CSV or TSV with a header, or id|text lines)")
    imported.add_argument("--audio-column", dest="audio_column", help="folder --table: the column naming the audio file")
    imported.add_argument("--text-column", dest="text_column", help="folder --table: the column holding the transcript")
    imported.add_argument("--speaker-column", dest="speaker_column", help="folder --table: a speaker column, for "
                                                                          "speaker-disjoint splits")
    imported.add_argument("--cv-tsv", dest="cv_tsv", help="common-voice: import this table (such as validated.tsv) and "
                                                          "split it here, instead of the release's train/dev/test.tsv")
    imported.add_argument("--split", help="where the source has no splits: train,dev,test as shares or counts "
                                          "(default: 0.8,0.1,0.1; speaker-disjoint where speakers are known)")
    imported.add_argument("--seed", type=int, default=1, help="the random split's seed (default: %(default)s)")
    imported.add_argument("--min-seconds", dest="min_seconds", type=float, default=DEFAULT_MIN_SECONDS,
                          help="shorter recordings are rejected (default: %(default)s)")
    imported.add_argument("--max-seconds", dest="max_seconds", type=float, default=DEFAULT_MAX_SECONDS,
                          help="longer recordings are rejected (default: %(default)s)")
    imported.add_argument("--workers", type=int, help="conversion processes (default: one per CPU core)")
    imported.set_defaults(func=_cmd_import)

    manifest = commands.add_parser("export-manifest", help="a dataset as NeMo-style JSON-lines manifests")
    manifest.add_argument("dataset", help="a dataset folder")
    manifest.add_argument("--out", help="folder for <split>_manifest.json (default: the dataset folder)")
    manifest.set_defaults(func=_cmd_export_manifest)

    check = commands.add_parser("check-dataset", help="check every row of a dataset folder: audio, length, transcript, alphabet",
                                description="Checks each row of train.csv, dev.csv and test.csv against the folder's "
                                            "alphabet.txt from the WAV headers (--deep also reads the samples to find "
                                            "silence). Exits with 2 when a row would stop training.")
    check.add_argument("folder", help="a dataset folder")
    check.add_argument("--deep", action="store_true", help="read every sample too, to find silent recordings (slower)")
    check.add_argument("--min-seconds", dest="min_seconds", type=float, default=DEFAULT_MIN_SECONDS,
                       help="shorter recordings are reported (default: %(default)s)")
    check.add_argument("--max-seconds", dest="max_seconds", type=float, default=DEFAULT_MAX_SECONDS,
                       help="longer recordings are reported (default: %(default)s)")
    check.add_argument("--show", type=int, default=20, help="how many rejected rows to print (default: %(default)s)")
    check.set_defaults(func=_cmd_check_dataset)

    noise = commands.add_parser("noise", help="make an overlay source (a CSV of noise clips) for augmentation",
                                description="Without --from: white, pink and brown noise and babble mixed from the sample "
                                            "corpus's voices, in {0}/synthetic/. With --from: your recordings, converted to "
                                            "16 kHz mono and cut into clips, in {0}/<name>/.".format(settings.NOISE))
    noise.add_argument("--from", dest="source", metavar="FOLDER", help="a folder of recordings (WAV, FLAC, Ogg; any rate)")
    noise.add_argument("--name", help="output folder name (default: synthetic, or the --from folder's name)")
    noise.add_argument("--clip-seconds", dest="clip_seconds", type=float, default=10.0,
                       help="with --from: length of the clips recordings are cut into (default: %(default)s)")
    noise.add_argument("--seed", type=int, default=1, help="without --from: random seed (default: %(default)s)")
    noise.set_defaults(func=_cmd_noise)

    preview = commands.add_parser("augment-preview", help="hear and see augmentations on a few files before training",
                                  description="Each augmentation alone on the first --files rows of --csv, with the engine's "
                                              "own code: augmented WAVs (sample domain), before/after spectrogram or feature "
                                              "images, index.html and preview.json, in {}/<name>/.".format(settings.PREVIEWS))
    preview.add_argument("--augment", action="append", metavar="SPEC",
                         help="an augmentation spec or preset:NAME; repeatable (quote it: [ is a shell glob character)")
    preview.add_argument("--csv", default=str(settings.SAMPLE_DATASET / "dev.csv"), help="default: %(default)s")
    preview.add_argument("--files", type=int, default=3, help="how many rows (default: %(default)s)")
    preview.add_argument("--name", help="output folder under {} (default: preview); never overwritten".format(settings.PREVIEWS))
    preview.add_argument("--clock", type=float, default=0.5,
                         help="training progress 0-1 at which a:b ranges are evaluated (default: %(default)s)")
    preview.add_argument("--as-in-training", dest="as_in_training", action="store_true",
                         help="keep each spec's probability p (default: p=1, so every file shows the effect)")
    preview.add_argument("--seed", type=int, default=1, help="default: %(default)s")
    preview.set_defaults(func=_cmd_augment_preview)

    lm = commands.add_parser("lm", help="build a KenLM language model and a .scorer package from text",
                             description="Text -> normalised corpus -> top-k vocabulary -> lmplz ARPA -> filter -> "
                                         "build_binary -> .scorer, in {}/<name>/.".format(settings.LMS))
    lm.add_argument("--corpus", action="append", metavar="FILE",
                    help="text or .gz, one sentence per line; repeatable (default: the sample's lm-corpus.txt)")
    alphabet = lm.add_mutually_exclusive_group()
    alphabet.add_argument("--alphabet", help="the model's alphabet.txt (default: the sample dataset's)")
    alphabet.add_argument("--run", help="take the alphabet of this run")
    lm.add_argument("--name", help="output folder name (default: sample, or the first corpus's name)")
    lm.add_argument("--order", type=int, help="n-gram order, 2-6 (default: {})".format(LM["order"]))
    lm.add_argument("--top-k", dest="top_k", type=int, help="vocabulary size: most frequent words kept (default: {})".format(LM["top_k"]))
    lm.add_argument("--prune", help="lmplz --prune thresholds per order, '|'-separated, e.g. 0|0|1 (default: {})".format(LM["prune"]))
    lm.add_argument("--memory", help="lmplz memory cap, e.g. 25%% or 4G (default: {})".format(LM["memory"].replace("%", "%%")))
    lm.add_argument("--binary-type", dest="binary_type", choices=["trie", "probing"], help="default: {}".format(LM["binary_type"]))
    lm.add_argument("--a-bits", dest="a_bits", type=int, help="trie pointer compression bits (default: {})".format(LM["a_bits"]))
    lm.add_argument("--q-bits", dest="q_bits", type=int, help="trie probability quantisation bits (default: {})".format(LM["q_bits"]))
    lm.add_argument("--unknown-chars", dest="unknown_chars", choices=POLICIES,
                    help="what to do with characters outside the alphabet (default: {})".format(LM["unknown_chars"]))
    lm.add_argument("--map", action="append", default=[], metavar="CHAR=TEXT", help="replace a character first; repeatable")
    lm.add_argument("--alpha", type=float, help="default alpha stored in the package (default: {:.4f})".format(LM["alpha"]))
    lm.add_argument("--beta", type=float, help="default beta stored in the package (default: {:.4f})".format(LM["beta"]))
    lm.add_argument("--bytes-mode", dest="bytes_mode", action="store_true", help="UTF-8 bytes output mode (no alphabet FST)")
    lm.add_argument("--discount-fallback", dest="discount_fallback", action="store_true",
                    help="lmplz --discount_fallback from the start (default: only when the corpus needs it)")
    lm.add_argument("--keep-arpa", dest="keep_arpa", action="store_true", help="keep lm.arpa and lm_filtered.arpa")
    lm.set_defaults(func=_cmd_lm)

    info = commands.add_parser("scorer-info", help="a scorer package's header and sizes")
    info.add_argument("scorer", help="a .scorer file or the name of a `playbook lm` build")
    info.add_argument("--run", help="also check that the scorer fits this run's alphabet, with the engine's decoder")
    info.set_defaults(func=_cmd_scorer_info)

    tune = commands.add_parser("tune-scorer", help="tune alpha and beta on the dev set; store them in the scorer")
    tune.add_argument("--run", required=True)
    tune.add_argument("--scorer", required=True, help="a .scorer file or the name of a `playbook lm` build")
    _checkpoint_option(tune, "best")
    tune.add_argument("--trials", type=int, default=20, help="Optuna trials (default: %(default)s; the engine's is 2400)")
    tune.add_argument("--alpha-max", dest="alpha_max", type=int, default=5, help="whole number (the engine's flag is an int); default: %(default)s")
    tune.add_argument("--beta-max", dest="beta_max", type=int, default=5, help="whole number; default: %(default)s")
    tune.add_argument("--beam-width", dest="beam_width", type=int, help="default: 500, the engine's")
    tune.set_defaults(func=_cmd_tune_scorer)

    doctor = commands.add_parser("doctor", help="whether this machine will train, and on what (GPU, driver, CPU, /data)")
    doctor.add_argument("--json", action="store_true")
    doctor.set_defaults(func=_cmd_doctor)

    sync = commands.add_parser("sync", help="push or pull the data volume's datasets, runs and exports to or from a bucket",
                               description="Remotes are rclone's: `rclone config`, or RCLONE_CONFIG_<NAME>_* variables "
                                           "(docs/cloud.md). Pull never replaces a local file that differs; push never "
                                           "deletes on the remote without --delete.")
    sync.add_argument("direction", choices=["push", "pull"])
    sync.add_argument("remote", help="an rclone remote and path, such as s3:my-bucket/speech")
    sync.add_argument("what", nargs="*", help="folders of the data volume (default: datasets runs exports lm; "
                                              "or one of them, such as runs/demo)")
    sync.add_argument("--delete", action="store_true", help="push: also delete remote files that are not here")
    sync.set_defaults(func=_cmd_sync)
    return main


# The commands that write to the data folder: they refuse to start where it is missing, read-only or not theirs.
WRITES_DATA = {"sample", "import", "train", "resume", "evaluate", "export", "finetune", "transfer", "import-checkpoint", "search",
               "noise", "augment-preview", "lm", "tune-scorer", "export-manifest"}
# The commands that write a run (--run): one at a time per run.
WRITES_RUN = {"train", "resume", "finetune", "transfer"}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parser().parse_args(argv)
    args.command_line = "playbook " + " ".join(shlex.quote(a) for a in argv)
    from . import storage
    try:
        if args.command in WRITES_DATA:
            storage.require_writable()
        if args.command in WRITES_RUN:
            from .training.runs import lock
            with lock(args.run, args.command_line):
                args.func(args)
        else:
            args.func(args)
    except UserError as error:
        print("error: {}".format(error), file=sys.stderr)
        return error.exit_code
    except OSError as error:
        # A full, read-only or foreign-owned disk met after the checks: one sentence, not a traceback.
        print("error: {}".format(storage.describe_os_error(error)), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; the run's last saved checkpoint is kept.", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
