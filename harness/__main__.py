"""python -m harness run [--variant cpu] [--engine NAME] [--keep] | chapters [--engine NAME] [NAME...]

run: bakes the template, builds the variant's image and runs the starter commands in a
container end to end; writes reports/demo.json and reports/demo.md.
chapters: executes the generated project's Playbook chapters; writes reports/chapters.json.
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
    args = parser.parse_args(argv)
    try:
        from . import docker_cli
        docker_cli.require_daemon()
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
