"""Execute the generated project's Playbook chapters (docs/<name>.md) as a user would.

A chapter's runnable blocks are fenced as ```sh run (run inside the project's container,
in the workspace) or ```sh run host (run on the host, in the project folder: building
and running the device images). They run in order, each with `bash -euo pipefail`, each
chapter with a fresh container and a fresh data volume named as the dev container names
it, `<slug>-data`; the first failing block fails the chapter. A host block that needs a
platform this machine cannot run (`--platform linux/arm64` without qemu) is skipped, and
the reason recorded. A comment before a block, `<!-- metrics: wer, first=first_dev_loss -->`,
names keys of the JSON object that block prints last, to report as the chapter's metrics
(`name=key` renames). A block after `<!-- engine-neutral -->` (on its own line, before any metrics
comment) does nothing that depends on the engine and nothing later blocks need: under an engine other
than the default it is not run again, and is recorded in `neutral_blocks`. A block after
`<!-- beside: postgres password=WORD -->` needs a server the chapter tells the user to bring: before it, the
harness starts Debian's PostgreSQL (harness/postgres/, TLS on) in the chapter container's network namespace, so
that it answers on 127.0.0.1:5432 with user and database `playbook` and that password, for the rest of the chapter.
"""
import json
import os
import re
import signal
import subprocess
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from . import base_images, docker_cli, emulation, search_cluster
from .bake import DEFAULT_ENGINE, ENGINES, VARIANTS, bake, engine_named
from .container import ProjectContainer
from .images import build_image
from .parsing import last_json_object
from .paths import REPO, WORK
from .log import HarnessError, log

BLOCK = re.compile(r"(?:<!--\s*(?P<neutral>engine-neutral)\s*-->\s*\n)?"
                   r"(?:<!--\s*beside:\s*postgres password=(?P<postgres>\S+)\s*-->\s*\n)?"
                   r"(?:<!--\s*metrics:\s*(?P<metrics>[^>]*?)\s*-->\s*\n)?"
                   r"```sh run(?P<host> host)?\n(?P<code>.*?)```", re.S)
# The chapters' project: its own slug, so that its data volume (<slug>-data, as the docs name it)
# can never be one a user of the default slug keeps real data in.
CHAPTERS_CONTEXT = {"project_slug": "playbook-chapters"}
# A command the project's engine cannot run says so in one sentence, `error: COMMAND: ENGINE ...`
# (playbook/engines: Engine.require and Engine.check); such a block is recorded as skipped, with it.
ENGINE_CANNOT = re.compile(r"^error: ([a-z_-]+(?: = \S+)?): ((?:%s) .*)$" % "|".join(map(re.escape, ENGINES)), re.M)
HOST_BLOCK_TIMEOUT = 1800
# Under the second engine (deepspeech-training) CI runs again only the chapters whose blocks drive the engine
# (playbook/engines builds each engine's flags; its checkpoints, decoder, augmentation and epoch loop are its own).
#   Checkpoints: every block (train, resume, evaluate, export, finetune, transfer, import-checkpoint, the
#     refusals of a checkpoint of another width or alphabet).
#   Scorer: evaluate with and without the scorer (the engine's own ctcdecoder), tune-scorer (the engine's
#     lm_optimize), export; `lm` and `scorer-info` are our code but the later blocks need their output.
#   Cloud: the run killed and restarted with --resume-if-exists (each engine counts epochs per invocation)
#     and the budget stop (SIGINT to each engine's epoch loop); the SkyPilot task check is engine-neutral
#     (`<!-- engine-neutral -->`) and runs under the default engine only.
#   Augmentation: training with every augmentation (0.9.3's own flags and warp parameter names) and the feature
#     cache; its preview section is rendered for this engine without the preview (0.9.3 cannot run one).
# The other chapters, as rendered for this engine, hold the default engine's blocks less the ones this engine
# cannot run (tests/template/test_chapters_per_engine.py), and what they do with the engine is covered
# elsewhere: Data's importers are our code, and what the engine does with an import (a CSV of wav_filename,
# wav_filesize, transcript with paths relative to it) it does with the sample in the end-to-end run;
# Hyperparameters' search is engine-neutral code over `train`; TFLite's device runtime does not know the engine
# (the end-to-end run exports with this engine and transcribes in the amd64 and arm64 device images);
# Environment builds the image, which every test of this engine does.
SECOND_ENGINE_CHAPTERS = ["augmentation", "checkpoints", "cloud", "scorer"]


@dataclass
class Block:
    code: str
    metrics: dict = field(default_factory=dict)  # reported name -> key in the block's last JSON
    host: bool = False
    neutral: bool = False  # engine-neutral: run under the default engine only
    postgres_password: str | None = None  # the block needs PostgreSQL on 127.0.0.1 with this password

    def platforms(self) -> list[str]:
        return re.findall(r"--platform[= ](\S+)", self.code)

    def dockerfile_bases(self, project: Path) -> list[str]:
        """The base images of the Dockerfiles this block builds, with its --build-arg values."""
        build_args = dict(re.findall(r"--build-arg[= ](\w+)=(\S+)", self.code))
        images = []
        for dockerfile in re.findall(r"docker (?:buildx )?build\b.*?-f[= ](\S+)", self.code):
            images += [i for i in base_images.base_images(project / dockerfile, build_args) if i not in images]
        return images


def parse(path: Path) -> list[Block]:
    blocks = []
    for match in BLOCK.finditer(path.read_text(encoding="utf-8")):
        metrics = {}
        for item in filter(None, (m.strip() for m in (match.group("metrics") or "").split(","))):
            name, _, key = item.partition("=")
            metrics[name.strip()] = (key or name).strip()
        blocks.append(Block(match.group("code"), metrics, host=bool(match.group("host")), neutral=bool(match.group("neutral")),
                            postgres_password=match.group("postgres")))
    return blocks


def available(project: Path) -> list[str]:
    return sorted(p.stem for p in (project / "docs").glob("*.md") if parse(p))


def run_on_host(block: Block, project: Path, label: str) -> str:
    """A host block in the project folder, with the docker CLI the harness uses (BuildKit on)."""
    for image in block.dockerfile_bases(project):
        base_images.ensure(image)
    env = {**docker_cli.env(), "PATH": os.path.dirname(docker_cli.cli()) + os.pathsep + os.environ.get("PATH", "")}
    process = subprocess.Popen(["bash", "-euo", "pipefail", "-c", block.code], cwd=project, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    # A timer, not wait(timeout=): the block may hang while its output is being read (qemu can). The whole
    # process group goes, since its children hold the output pipe open.
    expired = threading.Event()
    timer = threading.Timer(HOST_BLOCK_TIMEOUT, lambda: (expired.set(), os.killpg(process.pid, signal.SIGKILL)))
    timer.start()
    lines = []
    try:
        for line in process.stdout:
            lines.append(line)
            print(f"  {label} | {line}", end="", flush=True)
        code = process.wait()
    finally:
        timer.cancel()
    if expired.is_set():
        raise HarnessError(f"stage '{label}' ran longer than {HOST_BLOCK_TIMEOUT} s and was stopped.")
    output = "".join(lines)
    if code != 0:
        tail = "\n".join(output.strip().splitlines()[-15:])
        raise HarnessError(f"stage '{label}' failed: the host block exited {code}; its output ends:\n{tail}")
    return output


def run_chapter(image: str, project: Path, name: str, engine: str = DEFAULT_ENGINE) -> dict:
    blocks = parse(project / "docs" / f"{name}.md")
    result = {"passed": False, "seconds": 0.0, "metrics": {}, "blocks": len(blocks), "skipped_blocks": [], "neutral_blocks": []}
    started = time.monotonic()
    with ProjectContainer(image, project, project.name, volume=f"{project.name}-data") as box, ExitStack() as servers:
        for number, block in enumerate(blocks, 1):
            if block.neutral and engine != DEFAULT_ENGINE:
                log(f"chapter {name}: block {number} is engine-neutral; it ran under {DEFAULT_ENGINE}")
                result["neutral_blocks"].append(number)
                continue
            log(f"chapter {name}: block {number}/{len(blocks)}{' (on the host)' if block.host else ''}")
            reasons = [reason for reason in map(emulation.unavailable, block.platforms()) if reason]
            if reasons:
                log(f"chapter {name}: block {number} SKIPPED: {reasons[0]}")
                result["skipped_blocks"].append({"number": number, "reason": reasons[0], "metrics": sorted(block.metrics)})
                continue
            if block.postgres_password and not result.get("postgres"):
                log(f"chapter {name}: PostgreSQL on the container's 127.0.0.1, for block {number}")
                servers.enter_context(search_cluster.database(block.postgres_password, box.container.get_wrapped_container().id))
                result["postgres"] = number
            try:
                if block.host:
                    output = run_on_host(block, project, f"{name}#{number}")
                else:
                    output = box.run(["bash", "-euo", "pipefail", "-c", block.code], f"{name}#{number}")
            except HarnessError as error:
                cannot = ENGINE_CANNOT.search(str(error))
                if cannot:
                    log(f"chapter {name}: block {number} SKIPPED: the engine cannot: {cannot.group(0)}")
                    result["skipped_blocks"].append({"number": number, "reason": cannot.group(0), "metrics": sorted(block.metrics)})
                    continue
                result["failed_block"] = {"number": number, "code": block.code, "error": str(error)}
                break
            if block.metrics:
                printed = last_json_object(output)
                missing = [key for key in block.metrics.values() if key not in printed]
                if missing:
                    result["failed_block"] = {"number": number, "code": block.code,
                                              "error": f"the block printed no JSON with {', '.join(missing)}"}
                    break
                result["metrics"].update({metric: printed[key] for metric, key in block.metrics.items()})
        else:
            result["passed"] = True
    result["seconds"] = round(time.monotonic() - started, 1)
    log(f"chapter {name}: {'passed' if result['passed'] else 'FAILED'} in {result['seconds']} s")
    return result


def run(names: list[str] | None = None, variant: str = "cpu", report_dir: Path = REPO / "reports",
        settings: dict | None = None, engine: str = DEFAULT_ENGINE) -> dict:
    """`settings` go into the baked project's playbook.toml (bench/model_spread.py sets random_seed)."""
    context = {**VARIANTS[variant], **ENGINES[engine], **CHAPTERS_CONTEXT}
    if engine != DEFAULT_ENGINE:
        context["project_slug"] = f"{CHAPTERS_CONTEXT['project_slug']}-{engine.split('-')[0]}"
    project = bake(WORK / engine_named(f"chapters-{variant}", engine), context, settings)
    known = available(project)
    chosen = names or known
    unknown = [n for n in chosen if n not in known]
    if unknown:
        raise HarnessError(f"no runnable chapter named {', '.join(unknown)}; chapters: {', '.join(known)}.")
    image, _ = build_image(project, "cpu")
    report = {name: run_chapter(image, project, name, engine) for name in chosen}
    report_dir.mkdir(parents=True, exist_ok=True)
    path = report_dir / f"{engine_named('chapters', engine)}.json"
    previous = json.loads(path.read_text()) if path.exists() and names else {}
    path.write_text(json.dumps({**previous, **report}, indent=2) + "\n")
    log(f"report: {path}")
    return report
