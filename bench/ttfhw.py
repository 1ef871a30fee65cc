"""Time to first transcript, cold and warm, and the container's training overhead.

    python bench/ttfhw.py            (or: make bench)

cold: the project's image and the BuildKit cache are removed first (base images are
      kept: they are not the project's), then bake -> build -> container start -> sample ->
      first model (`make hello`: a short training, a scorer, the held-out set transcribed
      with it), as `make demo` does; the first held-out transcripts end it (the demo's own
      40-epoch run and its later stages follow).
warm: the same again with the image cached. Its WER with the sample's scorer is that of
      the first transcripts; the 40-epoch run's, from the demo's scorer stage, is beside it.
ratio: the warm run's training wall time in the container over the same training
      (same corpus, same flags, same engine pins) in a host CPython 3.7 venv.
All in one run, so the numbers share one machine state.
"""
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import figures as bench_figures  # noqa: E402
from harness import base_images, docker_cli, endtoend, images  # noqa: E402
from harness.bake import bake  # noqa: E402
from harness.log import log  # noqa: E402

FIRST_TRANSCRIPT_STAGES = ("bake", "image_build", "container_start", "sample", "first_model")
HOST_VENV = REPO / ".harness" / "host-engine-venv"


def time_to_first_transcript(report: dict) -> float:
    return round(sum(report["stages"][name] for name in FIRST_TRANSCRIPT_STAGES), 1)


def host_engine_python(project: Path) -> Path:
    """A host CPython 3.7 venv with the image's own engine pins (the requirements file's 3.7 lines)."""
    python = HOST_VENV / "bin" / "python"
    requirements = project / "docker/requirements.cpu.txt"
    stamp = HOST_VENV / "requirements.cpu.txt"  # what the venv was installed from
    if not python.exists():
        interpreter = base_images.pyenv_python("3.7") / "bin" / "python3.7"
        subprocess.run([str(interpreter), "-m", "venv", str(HOST_VENV)], check=True)
    if not stamp.exists() or stamp.read_text() != requirements.read_text():
        # The machine's pip configuration may add wheel folders meant for newer Pythons.
        env = {k: v for k, v in os.environ.items() if k != "PIP_FIND_LINKS"} | {"PIP_CONFIG_FILE": os.devnull}
        subprocess.run([str(python), "-m", "pip", "install", "-q", "-r", str(requirements)], check=True, env=env)
        stamp.write_text(requirements.read_text())
    return python


def host_training_seconds(project: Path) -> float:
    python = host_engine_python(project)
    with tempfile.TemporaryDirectory(prefix="ttfhw-host-") as data:
        env = {**os.environ, "PLAYBOOK_DATA": data, "PYTHONPATH": str(project), "PATH": f"{python.parent}:{os.environ['PATH']}",
               "TF_CPP_MIN_LOG_LEVEL": "2"}
        subprocess.run([str(python), "-m", "playbook", "sample"], check=True, env=env, cwd=project)
        started = time.monotonic()
        subprocess.run([str(python), "-m", "playbook", "train", "--run", "demo"], check=True, env=env, cwd=project,
                       stdout=subprocess.DEVNULL)
        return round(time.monotonic() - started, 1)


def main() -> int:
    docker_cli.require_daemon()
    project = bake(REPO / ".harness" / "bench", {})
    tag = images.image_tag(project.name, "cpu")
    log("cold: removing the project image and the build cache")
    docker_cli.docker("rmi", "-f", tag, check=False)
    docker_cli.docker("builder", "prune", "-af", check=False)
    reports = REPO / "reports"
    cold = endtoend.run(report_dir=reports, report_name="ttfhw-cold")
    warm = endtoend.run(report_dir=reports, report_name="ttfhw-warm")
    host = host_training_seconds(project)
    figures = {
        "machine": bench_figures.machine(),
        "cold_first_transcript_s": time_to_first_transcript(cold),
        "cold_image_build_s": cold["stages"]["image_build"],
        "warm_first_transcript_s": time_to_first_transcript(warm),
        "warm_stages_s": {name: warm["stages"][name] for name in FIRST_TRANSCRIPT_STAGES},
        "warm_wer_with_scorer": warm["first_model"]["wer"],
        "warm_cer_with_scorer": warm["first_model"]["cer"],
        "warm_demo_wer": warm["wer"],
        "warm_demo_wer_with_scorer": warm["scorer"]["wer"],
        "container_training_s": warm["stages"]["train"],
        "host_training_s": host,
        "container_over_host_training": round(warm["stages"]["train"] / host, 2),
        "image_bytes": warm["image_size_bytes"],
        "model_bytes": warm["model_size_bytes"],
    }
    rows = [
        ("time to first transcript, cold (s)", figures["cold_first_transcript_s"]),
        ("  of which image build, cold (s)", figures["cold_image_build_s"]),
        ("time to first transcript, warm (s)", figures["warm_first_transcript_s"]),
        *((f"  of which {name}, warm (s)", seconds) for name, seconds in figures["warm_stages_s"].items()),
        ("first transcripts, warm: held-out WER with the sample's scorer", f"{figures['warm_wer_with_scorer']:.3f}"),
        ("demo's 40-epoch run, warm: held-out WER no scorer / scorer",
         f"{figures['warm_demo_wer']:.3f} / {figures['warm_demo_wer_with_scorer']:.3f}"),
        ("training in the container, warm (s)", figures["container_training_s"]),
        ("same training in a host CPython 3.7 venv (s)", host),
        ("container / host training ratio", figures["container_over_host_training"]),
        ("image size (MB)", round(figures["image_bytes"] / 1e6)),
        ("model size (kB)", round(figures["model_bytes"] / 1e3)),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"\n{figures['machine']}\n\n| {'measure'.ljust(width)} | value |\n|{'-' * (width + 2)}|------:|")
    for name, value in rows:
        print(f"| {name.ljust(width)} | {value} |")
    bench_figures.write("ttfhw", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
