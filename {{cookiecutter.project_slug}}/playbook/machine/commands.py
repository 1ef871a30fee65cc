"""The Environment chapter's command (docs/environment.md): whether this machine will train, and on what."""
from ..commands import Command, show


def _doctor_arguments(parser):
    parser.add_argument("--json", action="store_true")


def _doctor(args):
    from . import doctor
    report = doctor.diagnose()
    if args.json:
        show(report)
    else:
        doctor.print_report(report)
    if report["verdicts"]["fail"]:
        raise SystemExit(1)


COMMANDS = [
    Command("doctor", "whether this machine will train, and on what: driver, GPUs, TensorFlow, CPU, /dev/shm, /data",
            _doctor_arguments, _doctor),
]
