"""Execute the generated project's Playbook chapters (docs/<name>.md) inside its container.

A chapter's runnable blocks are fenced as ```sh run. They run in order, each with
`bash -euo pipefail` in the workspace, each chapter in a fresh container on a fresh data
volume; the first failing block fails the chapter. A comment before a block,
`<!-- metrics: wer, first=first_dev_loss -->`, names keys of the JSON object that block
prints last, to report as the chapter's metrics (`name=key` renames).
"""
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from .bake import VARIANTS, bake
from .container import ProjectContainer
from .endtoend import REPO, WORK, build_image, last_json_object
from .log import HarnessError, log

BLOCK = re.compile(r"(?:<!--\s*metrics:\s*(?P<metrics>[^>]*?)\s*-->\s*\n)?```sh run\n(?P<code>.*?)```", re.S)


@dataclass
class Block:
    code: str
    metrics: dict = field(default_factory=dict)  # reported name -> key in the block's last JSON


def parse(path: Path) -> list[Block]:
    blocks = []
    for match in BLOCK.finditer(path.read_text(encoding="utf-8")):
        metrics = {}
        for item in filter(None, (m.strip() for m in (match.group("metrics") or "").split(","))):
            name, _, key = item.partition("=")
            metrics[name.strip()] = (key or name).strip()
        blocks.append(Block(match.group("code"), metrics))
    return blocks


def available(project: Path) -> list[str]:
    return sorted(p.stem for p in (project / "docs").glob("*.md") if parse(p))


def run_chapter(image: str, project: Path, name: str) -> dict:
    blocks = parse(project / "docs" / f"{name}.md")
    result = {"passed": False, "seconds": 0.0, "metrics": {}, "blocks": len(blocks)}
    started = time.monotonic()
    with ProjectContainer(image, project, project.name) as box:
        for number, block in enumerate(blocks, 1):
            log(f"chapter {name}: block {number}/{len(blocks)}")
            try:
                output = box.run(["bash", "-euo", "pipefail", "-c", block.code], f"{name}#{number}")
            except HarnessError as error:
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


def run(names: list[str] | None = None, variant: str = "cpu", report_dir: Path = REPO / "reports") -> dict:
    project = bake(WORK / f"chapters-{variant}", VARIANTS[variant])
    known = available(project)
    chosen = names or known
    unknown = [n for n in chosen if n not in known]
    if unknown:
        raise HarnessError(f"no runnable chapter named {', '.join(unknown)}; chapters: {', '.join(known)}.")
    image, _ = build_image(project, "cpu")
    report = {name: run_chapter(image, project, name) for name in chosen}
    report_dir.mkdir(parents=True, exist_ok=True)
    path = report_dir / "chapters.json"
    previous = json.loads(path.read_text()) if path.exists() and names else {}
    path.write_text(json.dumps({**previous, **report}, indent=2) + "\n")
    log(f"report: {path}")
    return report
