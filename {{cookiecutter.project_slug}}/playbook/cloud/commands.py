"""The Cloud chapter's command (docs/cloud.md): the data volume to and from a bucket."""
from ..commands import Command, show


def _sync_arguments(parser):
    parser.add_argument("direction", choices=["push", "pull"])
    parser.add_argument("remote", help="an rclone remote and path, such as s3:my-bucket/speech")
    parser.add_argument("what", nargs="*", help="folders of the data volume (default: datasets runs exports lm; "
                                                "or one of them, such as runs/demo)")
    parser.add_argument("--delete", action="store_true", help="push: also delete remote files that are not here")
    parser.add_argument("--update", action="store_true", help="pull: replace a local file whose bucket copy is newer "
                                                              "(a run that went on elsewhere); keep one newer here")


def _sync(args):
    from .sync import sync
    show(sync(args.direction, args.remote, args.what, delete=args.delete, update=args.update))


COMMANDS = [
    Command("sync", "push or pull datasets, runs and exports to or from a bucket (rclone)", _sync_arguments, _sync,
            description="Remotes are rclone's: `rclone config`, or RCLONE_CONFIG_<NAME>_* variables (docs/cloud.md). Pull "
                        "never replaces a local file that differs (with --update: one the bucket has newer); push never "
                        "deletes on the remote without --delete."),
]
