"""python -m harness run [--variant cpu] [--keep]

Bakes the template, builds the variant's image and runs the starter commands in
a container end to end; writes reports/demo.json and reports/demo.md.
"""
import argparse
import sys

from .bake import VARIANTS
from .log import HarnessError


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="bake, build, train, resume, export and transcribe in the container")
    run.add_argument("--variant", choices=sorted(VARIANTS), default="cpu")
    run.add_argument("--keep", action="store_true", help="leave the container and its data volume in place for inspection")
    args = parser.parse_args(argv)
    try:
        from . import endtoend
        report = endtoend.run(variant=args.variant, keep=args.keep)
    except HarnessError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(endtoend.markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
