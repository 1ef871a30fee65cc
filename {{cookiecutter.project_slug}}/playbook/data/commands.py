"""The Data chapter's commands (docs/data.md): the sample corpus, importing recordings, checking a dataset."""
from .. import settings
from ..commands import Command, show


def _sample_arguments(parser):
    parser.add_argument("--out", default=str(settings.SAMPLE_DATASET), help="default: %(default)s")
    parser.add_argument("--seed", type=int, default=1, help="which sentences go to which split and voice (default: %(default)s)")
    parser.add_argument("--digits", action="store_true", help="write numbers as digits: the alphabet gains 0-9")


def _sample(args):
    from .sample import make_sample
    manifest = make_sample(args.out, seed=args.seed, digits=args.digits)
    state = "already there, kept as it is" if manifest["reused"] else "written"
    print("sample corpus {}: {} ({} files, {} s of audio)".format(
        state, args.out, sum(manifest["files"].values()), manifest["seconds_of_audio"]))


IMPORT_DESCRIPTION = (
    "Reads a corpus in one of the layouts below and writes {}/<name>/ (train/dev/test.csv, audio/, alphabet.txt, "
    "rejected.csv, import.json, import.png). Layouts: common-voice (a release folder: clips/ and train/dev/test.tsv), "
    "librispeech (<subset>/<speaker>/<chapter>/*.flac and .trans.txt), folder (recordings with a .txt each, or --table for "
    "one CSV/TSV/id|text table), manifest (NeMo JSON lines), csv (a DeepSpeech CSV set). See docs/data.md."
    .format(settings.DATASETS))


def _length_options(parser, verb):
    from .validate import DEFAULT_MAX_SECONDS, DEFAULT_MIN_SECONDS
    parser.add_argument("--min-seconds", dest="min_seconds", type=float, default=DEFAULT_MIN_SECONDS,
                        help="shorter recordings are {} (default: %(default)s)".format(verb))
    parser.add_argument("--max-seconds", dest="max_seconds", type=float, default=DEFAULT_MAX_SECONDS,
                        help="longer recordings are {} (default: %(default)s)".format(verb))


def _import_arguments(parser):
    from .sources import LAYOUTS
    parser.add_argument("layout", choices=sorted(LAYOUTS))
    parser.add_argument("source", help="the corpus folder (for manifest: the .json manifest file)")
    parser.add_argument("--name", required=True, help="the dataset's folder name under {}".format(settings.DATASETS))
    parser.add_argument("--alphabet", help="keep this alphabet.txt (an existing model's, to fine-tune it): rows it cannot "
                                           "spell are rejected (default: built from the transcripts)")
    parser.add_argument("--map", action="append", default=[], metavar="CHAR=TEXT",
                        help="replace a character in every transcript first, e.g. --map 'é=e'; repeatable")
    parser.add_argument("--keep-case", dest="keep_case", action="store_true", help="do not lowercase the transcripts")
    parser.add_argument("--locale", help="the transcripts' language, for lowercasing (tr, az: I -> ı); common-voice: "
                                         "default the release folder's name")
    parser.add_argument("--table", help="folder: one table for the whole folder (CSV or TSV with a header, or id|text lines)")
    parser.add_argument("--audio-column", dest="audio_column", help="folder --table: the column naming the audio file")
    parser.add_argument("--text-column", dest="text_column", help="folder --table: the column holding the transcript")
    parser.add_argument("--speaker-column", dest="speaker_column", help="folder --table: a speaker column, for "
                                                                        "speaker-disjoint splits")
    parser.add_argument("--cv-tsv", dest="cv_tsv", help="common-voice: import this table (such as validated.tsv) and "
                                                        "split it here, instead of the release's train/dev/test.tsv")
    parser.add_argument("--split", help="where the source has no splits: train,dev,test as shares or counts "
                                        "(default: 0.8,0.1,0.1; speaker-disjoint where speakers are known)")
    parser.add_argument("--seed", type=int, default=1, help="the random split's seed (default: %(default)s)")
    _length_options(parser, "rejected")
    parser.add_argument("--copy-audio", dest="copy_audio", action="store_true",
                        help="csv: copy audio already in the engine's format into the dataset (default: the CSVs name it "
                             "where it is); a dataset for a bucket or another machine needs its audio inside it")
    parser.add_argument("--workers", type=int, help="conversion processes (default: one per CPU core)")


def _import(args):
    from .importer import parse_split, run_import
    from .text import parse_mapping
    show(run_import(args.layout, args.source, args.name, alphabet=args.alphabet, mapping=parse_mapping(args.map),
                    keep_case=args.keep_case, locale=args.locale, table=args.table, audio_column=args.audio_column,
                    text_column=args.text_column, speaker_column=args.speaker_column, cv_tsv=args.cv_tsv,
                    split=parse_split(args.split), seed=args.seed, min_seconds=args.min_seconds,
                    max_seconds=args.max_seconds, workers=args.workers,
                    copy_audio=args.copy_audio))


def _check_arguments(parser):
    parser.add_argument("folder", help="a dataset folder")
    parser.add_argument("--deep", action="store_true", help="read every sample too, to find silent recordings (slower)")
    _length_options(parser, "reported")
    parser.add_argument("--show", type=int, default=20, help="how many rejected rows to print (default: %(default)s)")


def _check(args):
    from .validate import check_and_report
    check_and_report(args.folder, deep=args.deep, min_seconds=args.min_seconds, max_seconds=args.max_seconds,
                     show=args.show, print_report=show)


def _manifest_arguments(parser):
    parser.add_argument("dataset", help="a dataset folder")
    parser.add_argument("--out", help="folder for <split>_manifest.json (default: the dataset folder)")


def _manifest(args):
    from .manifest import write_manifests
    show(write_manifests(args.dataset, args.out))


def _shards_arguments(parser):
    parser.add_argument("dataset", help="a dataset folder")
    parser.add_argument("--out", help="folder for the shards (default: {}/<dataset name>)".format(settings.SHARDS))
    parser.add_argument("--size", default="500MB", help="largest shard (default: %(default)s)")


def _shards(args):
    from .shards import write
    show(write(args.dataset, args.out, args.size))


COMMANDS = [
    Command("sample", "make the synthetic espeak-ng corpus on the data volume", _sample_arguments, _sample, writes_data=True),
    Command("import", "your recordings (Common Voice, LibriSpeech, a folder, a manifest, CSVs) to a checked dataset",
            _import_arguments, _import, description=IMPORT_DESCRIPTION, writes_data=True),
    Command("check-dataset", "check every row of a dataset: audio, length, transcript, alphabet", _check_arguments, _check,
            description="Checks each row of train.csv, dev.csv and test.csv against the folder's alphabet.txt from the WAV "
                        "headers (--deep also reads the samples to find silence). Exits with 2 when a row would stop "
                        "training."),
    Command("export-manifest", "a dataset as NeMo-style JSON-lines manifests", _manifest_arguments, _manifest,
            writes_data=True),
    Command("shards", "a dataset as WebDataset shards, to train on as they stream from a bucket", _shards_arguments, _shards,
            writes_data=True,
            description="Writes <split>-NNNNNN.tar files (<key>.wav and <key>.txt per row, sorted by duration), alphabet.txt "
                        "and shards.json (what each split holds). Train on them with --dataset FOLDER, or after `playbook sync push` with "
                        "--dataset 'pipe:rclone cat REMOTE:path' (coqui-stt-training only)."),
]
