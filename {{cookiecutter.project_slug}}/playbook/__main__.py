"""playbook: the project's commands, by Playbook stage: each stage's code is its folder in playbook/, and each
declares its own commands (<stage>/commands.py). This module collects them; the help, the parser and the locks
are derived from those declarations."""
import argparse
import shlex
import sys

from .augment import commands as augment
from .cloud import commands as cloud
from .data import commands as data
from .errors import UserError
from .export import commands as export
from .machine import commands as machine
from .scorer import commands as scorer
from .training import commands as training
from .commands import Stage

# In the order a learner meets them (docs/README.md): stage folder, chapters, commands.
STAGES = [
    Stage("machine", "environment", machine.COMMANDS),
    Stage("data", "data", data.COMMANDS),
    Stage("training", "checkpoints, hyperparameters", training.COMMANDS),
    Stage("augment", "augmentation", augment.COMMANDS),
    Stage("scorer", "scorer", scorer.COMMANDS),
    Stage("export", "tflite", export.COMMANDS),
    Stage("cloud", "cloud", cloud.COMMANDS),
]
COMMANDS = {command.name: command for stage in STAGES for command in stage.commands}


def overview():
    """The top-level help: every command with its line, under its stage's folder and chapters."""
    width = max(len(name) for name in COMMANDS) + 2
    lines = ["playbook: the project's commands, by Playbook stage (code in playbook/<stage>/, chapters in docs/)."]
    for stage in STAGES:
        chapters = ", ".join("docs/{}.md".format(chapter) for chapter in stage.chapter.split(", "))
        lines += ["", "{} (playbook/{}/; {})".format(stage.name, stage.name, chapters)]
        lines += ["  {}{}".format(command.name.ljust(width), command.help) for command in stage.commands]
    return "\n".join(lines)


def parser():
    main = argparse.ArgumentParser(prog="playbook", description=overview(), formatter_class=argparse.RawDescriptionHelpFormatter)
    subparsers = main.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for command in COMMANDS.values():
        # No help= here: the overview above lists each command once, under its stage.
        sub = subparsers.add_parser(command.name, description=command.description)
        command.arguments(sub)
        sub.set_defaults(func=command.handler)
    return main


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parser().parse_args(argv)
    args.command_line = "playbook " + " ".join(shlex.quote(a) for a in argv)
    command = COMMANDS[args.command]
    from . import storage
    try:
        if command.writes_data:
            storage.require_writable()
        if command.locks_run:
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
