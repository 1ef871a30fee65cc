"""How a stage declares its commands, and what commands share: their printing and their common options.

Each stage folder (data/, training/, augment/, scorer/, export/, machine/, cloud/) has a `commands.py`
whose COMMANDS list says, once per command: its name, its one line of help, its arguments, its handler
and what it writes. `playbook/__main__.py` collects them in the learner's order and derives from them
the help text, the parser and the locks. A handler turns the arguments into one call of the stage's code
and prints what it returns; it decides nothing itself.
"""
import json


class Command(object):
    def __init__(self, name, help, arguments, handler, description=None, writes_data=False, locks_run=False):
        self.name = name
        self.help = help                  # the line `playbook --help` shows
        self.arguments = arguments        # parser -> None: adds the command's arguments
        self.handler = handler            # args -> None
        self.description = description    # the paragraph `playbook NAME --help` shows, where one is needed
        self.writes_data = writes_data    # refuses to start where the data folder is missing, read-only or not ours
        self.locks_run = locks_run        # writes the run named by --run: one such command at a time per run


class Stage(object):
    def __init__(self, name, chapter, commands):
        self.name, self.chapter, self.commands = name, chapter, commands


def show(result):
    print(json.dumps(result, indent=2), flush=True)


def table(rows, columns):
    if not rows:
        print("(none)")
        return
    cells = [[str(row.get(c, "")) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths)))
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths)))


# --- options several stages' commands take ---------------------------------------------------------------------

DATASET_HELP = "folder with train.csv, dev.csv (test.csv) and alphabet.txt (default: %(default)s)"


def settings_options(parser):
    parser.add_argument("--config", metavar="FILE", help="TOML file of settings (`playbook config` prints them all)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override one setting; repeatable")


def decoder_options(parser, beam_default):
    from stt_device import decoding
    decoding.add_options(parser, scorer_help="a .scorer file, or the name of a `playbook lm` build (default: no scorer)",
                         beam_help="CTC beam width (default: {})".format(beam_default))


def checkpoint_option(parser, default):
    parser.add_argument("--checkpoint", default=default,
                        help="best, last, train-N, best_dev-N or kept/best_dev-N (default: %(default)s)")
