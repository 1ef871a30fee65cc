"""Peak memory of `playbook import` against the number of rows: does it stay flat?

    python bench/import_memory.py [--rows 1000,10000,100000]      (or: make bench-import-memory)

Each size is a DeepSpeech CSV set of N rows whose audio is N hard links to one 1-second 16 kHz
WAV: the files are already in the engine's format, so they are used in place and sox never runs,
and what grows with N is only the importer's own bookkeeping (scan, checks, splits, CSVs, report,
histograms). Runs on the host, from the template's sources, with this repository's virtual
environment (numpy; with matplotlib installed there too, import.png is drawn and measured, and the
table says whether it was). Figures to reports/bench-import-memory.json.
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

import figures as bench_figures
from peak_memory import PEAK_MEMORY

REPO = Path(__file__).resolve().parent.parent
TEMPLATE = REPO / "{{cookiecutter.project_slug}}"
LINKS_PER_FILE = 50000  # ext4 allows 65,000 links to one file

def make_set(folder: Path, rows: int) -> None:
    audio = folder / "audio"
    audio.mkdir(parents=True)
    with open(folder / "train.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["wav_filename", "wav_filesize", "transcript"])
        for number in range(rows):
            original = folder / f"one-second-{number // LINKS_PER_FILE}.wav"
            if number % LINKS_PER_FILE == 0:
                with wave.open(str(original), "wb") as wav:
                    wav.setnchannels(1)
                    wav.setsampwidth(2)
                    wav.setframerate(16000)
                    wav.writeframes(b"\x00\x10\x00\xf0" * 8000)  # a square wave, 4096 peak: not silent
            path = audio / f"u{number:07d}.wav"
            os.link(original, path)
            writer.writerow([str(path), path.stat().st_size, f"utterance number {number} of the set"])


def measure(rows: int, scratch: Path, workers: int) -> dict:
    source, data = scratch / f"set-{rows}", scratch / f"data-{rows}"
    make_set(source, rows)
    data.mkdir(exist_ok=True)  # playbook writes only into a data folder that is there
    env = {**os.environ, "PYTHONPATH": str(TEMPLATE), "PLAYBOOK_DATA": str(data)}
    command = [sys.executable, "-c", PEAK_MEMORY, sys.executable, "-m", "playbook", "import", "csv", str(source),
               "--name", "memory", "--workers", str(workers)]
    result = subprocess.run(command, cwd=TEMPLATE, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"the import of {rows} rows failed:\n{result.stderr[-2000:]}")
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    report = json.loads((data / "datasets" / "memory" / "import.json").read_text())
    assert report["imported"] == rows and report["audio_used_in_place"] == rows, report
    drawn = (data / "datasets" / "memory" / "import.png").is_file()
    return {"rows": rows, **figures, "rows_per_second": round(rows / figures["seconds"], 1), "histograms_drawn": drawn}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1000,10000,100000", help="sizes, comma-separated (default: %(default)s)")
    parser.add_argument("--workers", type=int, default=2, help="default: %(default)s")
    args = parser.parse_args()
    sizes = [int(size) for size in args.rows.split(",")]
    with tempfile.TemporaryDirectory(prefix="bench-import-memory-") as scratch:
        results = [measure(rows, Path(scratch), args.workers) for rows in sizes]
    print(f"\n`playbook import csv` on N rows used in place, {args.workers} workers, Python {sys.version.split()[0]}.\n")
    print("| rows | wall seconds | rows per second | peak memory (MB) | import.png drawn |")
    print("|---:|---:|---:|---:|---|")
    for result in results:
        print(f"| {result['rows']:,} | {result['seconds']} | {result['rows_per_second']:,} | {result['peak_rss_mb']} | "
              f"{'yes' if result['histograms_drawn'] else 'no (no matplotlib)'} |")
    growth = results[-1]["peak_rss_mb"] - results[0]["peak_rss_mb"]
    per_row = growth * 1024 * 1024 / max(results[-1]["rows"] - results[0]["rows"], 1)
    print(f"\nPeak memory grew by {growth:.1f} MB from {sizes[0]:,} to {sizes[-1]:,} rows ({per_row:.0f} bytes per row).")
    bench_figures.write("import-memory", {"workers": args.workers, "python": sys.version.split()[0], "sizes": results,
                                          "bytes_per_row": round(per_row, 1)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
