"""python -m harness faults: the fault matrix. Each case injects one fault into a real project container
(a full disk, a SIGKILL, a second command on the same run, broken audio, CSVs and configs, a data folder
that is not usable) and asserts three things:

1. the command fails or refuses with one `error: ...` sentence that names the file, row, option or resource,
   and no traceback anywhere in its output (a SIGKILL case has no message to check: the kill is the fault);
2. nothing made before the fault is lost or changed: the checksums of every dataset, checkpoint, export and
   scorer file on the data volume, before and after;
3. the next ordinary command works (for a SIGKILL case: the same command again).

The harness-side faults (no Docker daemon, no stand-in recipe, no CPython for a stand-in) run on the host.
Writes reports/faults.json ({"cases": [{"name", "fault", "passed", "message", "seconds"}]}) and faults.md.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from . import docker_cli
from .bake import bake
from .container import HARNESS_LABEL, ProjectContainer
from .fault_cases import (AUDIO_CASES, DATA_CASES, ENGINE_CASES, PRELUDE, PREPARE, SNAPSHOT, VOLUME_CASES, Case,
                          VolumeCase)
from .images import build_image
from .paths import REPO, WORK
from .log import HarnessError, log

FAULTS_CONTEXT = {"project_slug": "playbook-faults"}
def error_line(output: str) -> str:
    return next((line for line in output.splitlines() if line.startswith("error: ")), "")


def result(name: str, fault: str, started: float, problem: str | None, said: str) -> dict:
    """A case's entry in the report, logged: passed when there is no PROBLEM; the message is the problem or SAID."""
    entry = {"name": name, "fault": fault, "passed": not problem, "message": problem or said,
             "seconds": round(time.monotonic() - started, 1)}
    log(f"fault '{name}': {'passed' if entry['passed'] else 'FAILED'}: {entry['message'][:300]}")
    return entry


def check_output(output: str, expect: str) -> str | None:
    """Why OUTPUT is not one clear error sentence matching EXPECT, or None."""
    if "Traceback (most recent call last)" in output:
        return "a traceback was printed: " + output[output.index("Traceback"):][:600]
    errors = [line for line in output.splitlines() if line.startswith("error: ")]
    if len(errors) != 1:
        return f"expected one `error:` line, got {len(errors)}: {errors[:3]}; output ends: {output.strip()[-600:]}"
    if not re.search(expect, errors[0]):
        return f"the error does not match /{expect}/: {errors[0]}"
    return None


def compare(before: str, after: str, may_change: str = "") -> str | None:
    old = dict(line.split("  ", 1)[::-1] for line in before.splitlines() if line.strip())
    old = {path: digest for path, digest in old.items() if not (may_change and re.search(may_change, path))}
    new = dict(line.split("  ", 1)[::-1] for line in after.splitlines() if line.strip())
    lost = [path for path in old if path not in new]
    changed = [path for path in old if path in new and new[path] != old[path]]
    if lost or changed:
        return f"lost: {lost[:5]}, changed: {changed[:5]}"
    return None


def bash(box: ProjectContainer, script: str) -> tuple[int, str]:
    """A case's script in the container, after the cases' shell functions: (exit code, output)."""
    return box.exec(["bash", "-c", PRELUDE + script])


def run_case(box: ProjectContainer, case: Case) -> dict:
    started = time.monotonic()

    def done(problem, said=""):
        return result(case.name, case.fault, started, problem, said)

    # Each script is its own shell: what a setup leaves is files (a filled disk, a dataset), not variables.
    code, output = bash(box, case.setup or "true")
    if code != 0:
        return done(f"setup failed ({code}): {output.strip()[-600:]}")
    _, before = bash(box, SNAPSHOT)
    code, output = bash(box, case.command)
    if case.box == "small":
        bash(box, "free_disk")
    if case.expect:
        if code == 0:
            return done(f"the command succeeded; it should have refused: {output.strip()[-400:]}")
        problem = check_output(output, case.expect)
        if problem:
            return done(problem)
        said = error_line(output)
    else:
        if code != 0:
            return done(f"the kill was not injected: {output.strip()[-400:]}")
        said = output.strip().splitlines()[-1]
    _, after = bash(box, SNAPSHOT)
    problem = compare(before, after, case.writes)
    if problem:
        return done(f"{said}; but files made before the fault changed: {problem}")
    if case.then:
        code, output = bash(box, case.then)
        if code != 0:
            return done(f"{said}; but the next command failed ({code}): {output.strip()[-600:]}")
        _, after = bash(box, SNAPSHOT)
        problem = compare(before, after, "|".join(filter(None, [case.writes, case.then_writes])))
        if problem:
            return done(f"{said}; but the next command changed files made before: {problem}")
    return done(None, said)


def run_volume_case(image: str, case: VolumeCase) -> dict:
    started = time.monotonic()
    volume = f"dsp-faults-{uuid.uuid4().hex[:8]}"
    docker_cli.docker("volume", "create", "--label", f"{HARNESS_LABEL}=data", volume)
    try:
        if case.as_root:
            docker_cli.docker("run", "--rm", "--user", "root", "-v", f"{volume}:/data", image, "bash", "-c", case.as_root)
        mount = f"{volume}:/data" + (":ro" if case.read_only else "")
        env = [arg for key, value in (case.env or {}).items() for arg in ("-e", f"{key}={value}")]
        refused = docker_cli.docker("run", "--rm", "--label", f"{HARNESS_LABEL}=container", "-v", mount, *env, image,
                                    "playbook", "sample", check=False)
        output = refused.stdout + refused.stderr
        problem = ("the command succeeded; it should have refused" if refused.returncode == 0 else check_output(output, case.expect))
        if not problem:
            # The next ordinary command: the same with the data folder put right.
            fixed = docker_cli.docker("run", "--rm", "-v", f"{volume}:/data", "--user", "root", image, "bash", "-c",
                                      "chown 1000 /data && chmod 1777 /data", check=False)
            works = docker_cli.docker("run", "--rm", "-v", f"{volume}:/data", image, "playbook", "sample", check=False)
            if fixed.returncode or works.returncode:
                problem = f"with /data put right, `playbook sample` failed: {(works.stdout + works.stderr).strip()[-400:]}"
    finally:
        docker_cli.docker("volume", "rm", "-f", volume, check=False)
    return result(case.name, case.fault, started, problem, error_line(output))


def harness_cases() -> list[dict]:
    """Faults of the machine the harness runs on: each must be one sentence from `python -m harness`."""
    cases = []

    def host(name, fault, argv, env, expect):
        started = time.monotonic()
        completed = subprocess.run([sys.executable, "-m", "harness", *argv], capture_output=True, text=True,
                                   env={**os.environ, **env}, cwd=REPO)
        output = completed.stdout + completed.stderr
        problem = "it succeeded" if completed.returncode == 0 else check_output(output, expect)
        cases.append(result(name, fault, started, problem, error_line(output)))

    with tempfile.TemporaryDirectory() as empty:
        host("harness: no Docker daemon", "DOCKER_HOST names a socket nothing listens on", ["faults"],
             {"DOCKER_HOST": f"unix://{empty}/none.sock"}, r"^error: no Docker daemon answers.*dockerd")
        host("harness: no registry and no recipe", "a base image that cannot be pulled and has no stand-in recipe",
             ["base-image", "deepspeech-playbook.invalid/no-such-image:0"], {}, r"^error: .*cannot be pulled .*no stand-in recipe")
        host("harness: no CPython 3.7 for a stand-in", "no pyenv CPython 3.7 (PYENV_ROOT and HOME empty)",
             ["base-image", "--stand-in", "python:3.7-slim-bookworm"], {"PYENV_ROOT": empty, "HOME": empty},
             r"^error: no registry is reachable .*no CPython 3\.7 was found under pyenv")
    return cases


def run(engine: str | None = None, report_dir: Path = REPO / "reports", only: list[str] | None = None) -> dict:
    from .bake import DEFAULT_ENGINE, ENGINES
    engine = engine or DEFAULT_ENGINE
    project = bake(WORK / "faults", {**ENGINES[engine], **FAULTS_CONTEXT})
    image, _ = build_image(project, "cpu")
    cases = [*ENGINE_CASES, *AUDIO_CASES, *DATA_CASES]
    if only:
        cases = [case for case in cases if any(word in case.name for word in only)]
    results = []
    main_cases = [case for case in cases if case.box == "main"]
    small_cases = [case for case in cases if case.box == "small"]
    with ProjectContainer(image, project, project.name) as box:
        log("faults: preparing the sample, a 2-epoch run, its export and the sample scorer")
        code, output = bash(box, PREPARE)
        if code != 0:
            raise HarnessError(f"preparing the fault matrix failed: {output.strip()[-800:]}")
        # The socket cases' bad client (fault_cases.bad_socket), the one the demo's live stage uses.
        docker_cli.docker("cp", str(REPO / "harness" / "live_client.py"),
                          f"{box.container.get_wrapped_container().id}:/tmp/live_client.py")
        results += [run_case(box, case) for case in main_cases]
        if small_cases:
            # The same project with a 300 MB tmpfs as /data, holding a copy of what the main volume made.
            with ProjectContainer(image, project, project.name, data_tmpfs="300m", read_only_volumes={box.volume: "/seed"}) as small:
                code, output = bash(small, "cp -a /seed/datasets /seed/runs /seed/exports /seed/lm /data/")
                if code != 0:
                    raise HarnessError(f"copying the prepared data into the small volume failed: {output.strip()[-400:]}")
                results += [run_case(small, case) for case in small_cases]
    if not only or any("/data" in word for word in only):
        results += [run_volume_case(image, case) for case in VOLUME_CASES]
    if not only or any("harness" in word for word in only):
        results += harness_cases()
    report = {"engine": engine, "cases": results}
    report_dir.mkdir(parents=True, exist_ok=True)
    (report_dir / "faults.json").write_text(json.dumps(report, indent=2) + "\n")
    (report_dir / "faults.md").write_text(markdown(report))
    log(f"report: {report_dir / 'faults.json'} ({sum(r['passed'] for r in results)} of {len(results)} passed)")
    return report


def markdown(report: dict) -> str:
    rows = ["| case | fault | passed | what the user is told | s |", "|---|---|---|---|---:|"]
    for case in report["cases"]:
        message = case["message"].replace("|", "\\|").replace("\n", " ")
        rows.append(f"| {case['name']} | {case['fault']} | {'yes' if case['passed'] else '**no**'} | {message} | {case.get('seconds', '')} |")
    return "\n".join(rows) + "\n"
