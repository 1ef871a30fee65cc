"""What every benchmark keeps beside its printed table: the machine it ran on, and its figures in
reports/bench-<name>.json."""
import json
import os
import platform
import time
from pathlib import Path

REPORTS = Path(__file__).resolve().parent.parent / "reports"


def machine() -> str:
    """The date and the machine, for a benchmark's table and figures."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2 ** 30
    return f"{time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores of {cpu}, {memory:.0f} GiB, {platform.system()} {platform.release()}"


def write(name: str, figures: dict) -> Path:
    """reports/bench-NAME.json (the folder is not in a fresh clone), and say where it went."""
    path = REPORTS / f"bench-{name}.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"\nfigures: {path}")
    return path
