"""The Checkpoints and Hyperparameters chapters' commands (docs/checkpoints.md, docs/hyperparameters.md): runs,
their checkpoints, starting from other runs or released checkpoints, settings and searches."""
import sys

from .. import settings
from ..errors import UserError
from ..commands import DATASET_HELP, Command, checkpoint_option, decoder_options, settings_options, show, table


def _train_arguments(parser):
    parser.add_argument("--run", required=True, help="run name; its folder is {}/<run>".format(settings.RUNS))
    parser.add_argument("--dataset", default=str(settings.SAMPLE_DATASET), help=DATASET_HELP)
    _resume_if_exists_option(parser)
    settings_options(parser)


def _resume_if_exists_option(parser):
    parser.add_argument("--resume-if-exists", dest="resume_if_exists", action="store_true",
                        help="if the run exists with the same settings, continue it toward its total epochs "
                             "(a restarted cloud job); the budget settings may change")


def _train(args):
    from . import train
    show(train(args.run, args.dataset, args.config, args.set, command_line=args.command_line,
               resume_if_exists=args.resume_if_exists))


def _resume_arguments(parser):
    parser.add_argument("--run", required=True)
    parser.add_argument("--load", choices=["last", "best"], default="last", help="which checkpoint to continue from (default: %(default)s)")
    parser.add_argument("--epochs", type=int, help="more epochs to train (default: the run's resume_epochs)")


def _resume(args):
    from . import resume
    show(resume(args.run, load=args.load, epochs=args.epochs, command_line=args.command_line))


def _evaluate_arguments(parser):
    parser.add_argument("--run", required=True)
    checkpoint_option(parser, "best")
    parser.add_argument("--dataset", help="folder with test.csv (default: the run's dataset)")
    decoder_options(parser, "500, the engine's")


def _evaluate(args):
    from stt_device.decoding import parse_hot_words
    from . import evaluate
    show(evaluate(args.run, args.checkpoint, args.dataset, command_line=args.command_line, scorer=args.scorer,
                  alpha=args.alpha, beta=args.beta, beam_width=args.beam_width, hot_words=parse_hot_words(args.hot_words)))


def _from_run_arguments(parser):
    parser.add_argument("--from", dest="source", required=True, metavar="RUN", help="the source run")
    parser.add_argument("--run", required=True, help="the new run's name")
    parser.add_argument("--dataset", required=True, help="folder with train.csv, dev.csv and alphabet.txt")
    parser.add_argument("--load", choices=["best", "last"], default="best", help="source checkpoint (default: %(default)s)")
    _resume_if_exists_option(parser)


def _finetune_arguments(parser):
    _from_run_arguments(parser)
    settings_options(parser)


def _finetune(args):
    from . import finetune
    show(finetune(args.source, args.run, args.dataset, args.config, args.set, load=args.load, command_line=args.command_line,
                  resume_if_exists=args.resume_if_exists))


def _transfer_arguments(parser):
    _from_run_arguments(parser)
    parser.add_argument("--drop-layers", dest="drop_layers", type=int, default=1,
                        help="how many output-side layers to re-initialise, 1-5 (default: %(default)s)")
    settings_options(parser)


def _transfer(args):
    from . import transfer
    show(transfer(args.source, args.run, args.dataset, args.drop_layers, args.config, args.set, load=args.load,
                  command_line=args.command_line, resume_if_exists=args.resume_if_exists))


def _download_release_arguments(parser):
    from .releases import RELEASES
    parser.add_argument("name", choices=sorted(RELEASES))
    parser.add_argument("--to", help="where the files go (default: {}/incoming)".format(settings.DATA_ROOT))
    parser.add_argument("--mirror", help="a base URL holding the same files (your own copy), instead of the release's")
    parser.add_argument("--checkpoint-sha256", dest="checkpoint_sha256", help="the checkpoint archive's SHA-256, to check")
    parser.add_argument("--scorer-sha256", dest="scorer_sha256", help="the scorer's SHA-256, to check")


def _download_release(args):
    from .releases import download
    show(download(args.name, args.to, args.mirror, args.checkpoint_sha256, args.scorer_sha256))


def _import_checkpoint_arguments(parser):
    parser.add_argument("folder", help="the unpacked checkpoint folder (checkpoint state file, .index/.data/.meta, "
                                       "flags.txt, alphabet.txt)")
    parser.add_argument("--name", required=True, help="the run name it gets")
    parser.add_argument("--alphabet", help="its alphabet.txt, where the folder has none")


def _import_checkpoint(args):
    from . import import_checkpoint
    show(import_checkpoint(args.folder, args.name, alphabet=args.alphabet, command_line=args.command_line))


def _json_option(parser):
    parser.add_argument("--json", action="store_true")


def _runs_arguments(parser):
    parser.add_argument("action", nargs="?", choices=["rm"], help="rm: remove RUN, its checkpoints and feature cache "
                                                                   "(its exports stay); asks first")
    parser.add_argument("run", nargs="?", metavar="RUN")
    parser.add_argument("--yes", action="store_true", help="rm: do not ask")
    _json_option(parser)


def _runs(args):
    from . import list_runs
    from .runs import remove
    if args.action == "rm":
        from .. import storage
        storage.require_writable()
        return show(remove(args.run, confirmed=args.yes, ask=input if sys.stdin.isatty() else None))
    if args.run:
        raise UserError("`playbook runs` lists every run; to remove one: playbook runs rm {}.".format(args.run))
    rows = list_runs()
    if args.json:
        return show(rows)
    for row in rows:
        row["size"] = "{:.1f} MB".format(row["bytes"] / 1e6)
        row["best_dev_loss"] = "" if row["best_dev_loss"] is None else "{:.3f}".format(row["best_dev_loss"])
    table(rows, ["run", "kind", "engine", "epochs", "last_step", "best_dev_step", "best_dev_loss", "created", "updated", "size"])


def _checkpoints_arguments(parser):
    parser.add_argument("--run", required=True)
    _json_option(parser)


def _checkpoints(args):
    from . import list_checkpoints, load_run
    rows = list_checkpoints(load_run(args.run)[0])
    if args.json:
        return show(rows)
    for row in rows:
        row["size"] = "{:.1f} MB".format(row["bytes"] / 1e6)
    table(rows, ["checkpoint", "kind", "step", "saved", "size"])


def _search_arguments(parser):
    parser.add_argument("--name", required=True, help="search name; trials are runs <name>-tNN")
    parser.add_argument("--dataset", default=str(settings.SAMPLE_DATASET), help=DATASET_HELP)
    parser.add_argument("--trials", type=int, help="trials in the study, across its workers (default: [search] trials, 4)")
    parser.add_argument("--epochs", type=int, help="epochs per trial (default: [search] epochs, 8)")
    parser.add_argument("--seed", type=int, default=1, help="sampler seed of the process that starts the study "
                                                            "(default: %(default)s)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="fixed setting for every trial")
    parser.add_argument("--space", metavar="FILE", help="a TOML file with the [search] table (default: playbook.toml's)")
    parser.add_argument("--storage", metavar="URL", help="the study's database, postgresql://USER@HOST:5432/DB, shared by "
                                                         "workers on many machines; the password from PGPASSWORD or "
                                                         "~/.pgpass (default: PLAYBOOK_SEARCH_STORAGE, else a SQLite file "
                                                         "in /data/searches/<name>)")
    parser.add_argument("--worker", action="store_true", help="join the study --name, or start it if no worker has yet")
    parser.add_argument("--push", metavar="REMOTE", help="rclone remote each finished trial's run is pushed to "
                                                          "(default: [search] push)")
    parser.add_argument("--report", action="store_true", help="train nothing: the study's table, best trial, "
                                                              "importances and plot, read from its storage")


def _search(args):
    from .search import report, search
    if args.report:
        return show(report(args.name, storage=args.storage))
    show(search(args.name, args.dataset, trials=args.trials, epochs=args.epochs, seed=args.seed, fixed=args.set,
                storage=args.storage, worker=args.worker, space_file=args.space, push=args.push))


def _config_arguments(parser):
    parser.add_argument("--markdown", action="store_true", help="as a Markdown table")


def _config(args):
    from .. import config
    sys.stdout.write(config.markdown_table() if args.markdown else config.to_toml(config.defaults(), documented=True))


COMMANDS = [
    Command("train", "start a named run (settings: defaults < --config FILE < --set key=value)", _train_arguments, _train,
            writes_data=True, locks_run=True),
    Command("resume", "continue a run from its last (or best) checkpoint", _resume_arguments, _resume,
            writes_data=True, locks_run=True),
    Command("evaluate", "WER/CER of a checkpoint on a test set, with best, median and worst samples", _evaluate_arguments,
            _evaluate, writes_data=True),
    Command("finetune", "new run from another run's weights: same alphabet, new data, lower learning rate",
            _finetune_arguments, _finetune, writes_data=True, locks_run=True),
    Command("transfer", "new run for a new alphabet: another run's weights without its output layers", _transfer_arguments,
            _transfer, writes_data=True, locks_run=True),
    Command("download-release", "a released checkpoint and its scorer, downloaded, checked and unpacked into /data/incoming",
            _download_release_arguments, _download_release, writes_data=True,
            description="Files go to <file>.partial first (an interrupted download continues), are checked against the "
                        "SHA-256 you give, and are never replaced; then `playbook import-checkpoint` the folder."),
    Command("import-checkpoint", "a released checkpoint (DeepSpeech 0.9.3, Coqui STT 1.x) as a read-only run to start from",
            _import_checkpoint_arguments, _import_checkpoint, writes_data=True,
            description="Reads the checkpoint's variables (n_hidden, CuDNN, output size), checks them against its "
                        "alphabet and registers it as a run that finetune --from, transfer --from, evaluate and export take."),
    Command("runs", "list runs; `runs rm RUN` removes one", _runs_arguments, _runs),
    Command("checkpoints", "list a run's checkpoints", _checkpoints_arguments, _checkpoints),
    Command("config", "list every setting with its default, engine flag and when to change it", _config_arguments, _config),
    Command("search", "Optuna search over the settings of playbook.toml's [search] table; one machine or many",
            _search_arguments, _search, writes_data=True,
            description="Every trial is a run <name>-tNN. The study lives in a SQLite file on this volume, or in a "
                        "PostgreSQL database (--storage) that workers on other machines share (--worker); a trial "
                        "whose worker dies runs again on another. --report reads the study back."),
]
