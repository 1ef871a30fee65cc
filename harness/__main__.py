"""python -m harness run [--variant cpu] [--engine NAME] [--keep] | chapters [--engine NAME] [NAME...] | faults [CASE...]
       | base-image [--stand-in] IMAGE

run: bakes the template, builds the variant's image and runs the starter commands in a
container end to end; writes reports/demo.json and reports/demo.md.
chapters: executes the generated project's Playbook chapters; writes reports/chapters.json.
faults: the fault matrix (harness/faults.py); writes reports/faults.json and faults.md.
base-image: makes a base image available: the local one, a pull, or the offline stand-in (--stand-in: build the
stand-in again; the image it replaces is kept until the new one is built).
"""
import argparse
import json
import sys

from .bake import DEFAULT_ENGINE, ENGINES, VARIANTS, engine_named
from .log import HarnessError


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="bake, build, train, resume, export and transcribe in the container")
    run.add_argument("--variant", choices=sorted(VARIANTS), default="cpu")
    run.add_argument("--engine", choices=sorted(ENGINES), default=DEFAULT_ENGINE,
                     help="the template's engine answer (default: %(default)s)")
    run.add_argument("--keep", action="store_true", help="leave the container and its data volume in place for inspection")
    chapters = commands.add_parser("chapters", help="execute the generated project's Playbook chapters in its container")
    chapters.add_argument("names", nargs="*", metavar="NAME", help="chapters to run (default: all)")
    chapters.add_argument("--engine", choices=sorted(ENGINES), default=DEFAULT_ENGINE,
                          help="the template's engine answer (default: %(default)s)")
    faults = commands.add_parser("faults", help="inject each fault of the matrix into a project container")
    faults.add_argument("only", nargs="*", metavar="CASE", help="only the cases whose names contain one of these words")
    faults.add_argument("--engine", choices=sorted(ENGINES), default=DEFAULT_ENGINE)
    base = commands.add_parser("base-image", help="make a base image available (local, pulled, or its offline stand-in)")
    base.add_argument("image")
    base.add_argument("--stand-in", dest="stand_in", action="store_true", help="build the offline stand-in again")
    args = parser.parse_args(argv)
    try:
        from . import docker_cli
        docker_cli.require_daemon()
        if args.command == "faults":
            from . import faults as fault_matrix
            report = fault_matrix.run(args.engine, only=args.only)
            print(fault_matrix.markdown(report))
            return 0 if all(case["passed"] for case in report["cases"]) else 1
        if args.command == "base-image":
            from . import base_images
            print(base_images.ensure(args.image, rebuild=args.stand_in))
            return 0
        if args.command == "chapters":
            from . import chapters as chapter_runner
            report = chapter_runner.run(args.names, engine=args.engine)
            print(json.dumps(report, indent=2))
            return 0 if all(r["passed"] for r in report.values()) else 1
        from . import endtoend
        report = endtoend.run(variant=args.variant, engine=args.engine, keep=args.keep,
                              report_name=engine_named("demo", args.engine))
    except HarnessError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(endtoend.markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
