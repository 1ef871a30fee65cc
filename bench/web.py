"""The page of `playbook web-export` (the model in the browser, on Coqui's WebAssembly client) for two model widths:
how much a visitor downloads, how long the page takes to be ready, and how fast it transcribes.

    python bench/web.py            (or: make bench-web)

In the project's CPU container: the sample, the two models of bench/inference.py (n_hidden 192, the sample model;
n_hidden 2048, the same model in the release's shape) and a 2048-wide model with trained weights throughout (see
TRAINED_WIDE) exported, quantised, and the sample's scorer (`playbook lm`, order 3). Each goes into a page with the scorer (`web-export`), served by `playbook web-serve`, and opened RUNS
times by headless Chromium (harness/browser/web_page.py, a fresh browser each time, so a cold cache), which then
transcribes the held-out files from their samples. Per width:

- page_bytes and page_bytes_gzip: every file of the folder, as stored and gzipped (level 6, what web servers
  commonly send; a trained model and the scorer compress little, the WebAssembly client to about a third);
- ready_s: from the navigation's start to the page saying Ready (the client compiled, its threads started, the
  model and scorer loaded), on loopback, so no network time: the median of RUNS;
- rtf: the page's transcription time per second of audio (speechToText, the whole file at once), over the held-out
  set, the median of RUNS.
Figures to reports/bench-web.json.
"""
import json
import sys
from statistics import median

import figures as bench_figures
from sample_container import WIDE_MODEL, exported_widths, sample_container

from harness import parsing
from harness.images import browse, build_browser_image

RUNS = 3
FILES = "ls /data/datasets/sample/wav/test-*.wav"
SIZES = ("import gzip, json, pathlib, sys; files = [p for p in pathlib.Path(sys.argv[1]).rglob('*') if p.is_file()]; "
         "print(json.dumps({'page_bytes': sum(p.stat().st_size for p in files), "
         "'page_bytes_gzip': sum(len(gzip.compress(p.read_bytes(), 6)) for p in files), "
         "'model_bytes': (pathlib.Path(sys.argv[1]) / 'model.tflite').stat().st_size}))")


# The release-shaped model is the sample model padded with zeros, which gzip all but removes: its page weight is not
# a wide model's. This one has trained weights throughout (one epoch on 8 utterances: it writes no text, so it
# gives the page's weight and speed, not its text).
TRAINED_WIDE = "n_hidden 2048 (1 epoch, 8 utterances: weights as a trained model has them)"


def trained_wide(box):
    box.run(["bash", "-c", "mkdir -p /data/datasets/tiny && cd /data/datasets/tiny && ln -sfn ../sample/wav wav "
                           "&& head -9 ../sample/train.csv > train.csv && head -4 ../sample/dev.csv > dev.csv "
                           "&& cp ../sample/alphabet.txt ."], "tiny dataset", stream=False)
    box.run(["playbook", "train", "--run", "wide-trained", "--dataset", "/data/datasets/tiny", "--set", "epochs=1",
             "--set", "n_hidden=2048"], f"train {TRAINED_WIDE}", stream=False)
    return 2048, TRAINED_WIDE, parsing.last_json(box.run(["playbook", "export", "--run", "wide-trained"], "export", stream=False))


def measure(box, browser, width, name, export, files, port):
    folder = f"/data/web/bench-{port}"
    box.run(["playbook", "web-export", "--run", export["run"], "--model", export["model"], "--scorer", "sample",
             "--out", folder], f"web-export {name}", stream=False)
    sizes = json.loads(box.run(["python", "-c", SIZES, folder], "sizes", stream=False).strip().splitlines()[-1])
    box.start(f"playbook web-serve {folder} --serve 127.0.0.1:{port}", f"/tmp/web-{port}.log", "serving the page", "web-serve")
    runs = []
    for _ in range(RUNS):
        page = browse(browser, box, "web_page.py", f"http://localhost:{port}/", *files, timeout=600)
        if page.get("error"):
            raise SystemExit(f"the page failed: {page['status']}")
        runs.append(page)
    audio = sum(item["audio_s"] for item in runs[0]["files"])
    return dict(sizes, n_hidden=width, model=name, files=len(files), audio_s=round(audio, 3),
                ready_s=round(median(page["ready_s"] for page in runs), 3),
                rtf=round(median(sum(item["seconds"] for item in page["files"]) / audio for page in runs), 4),
                texts=[item["text"] for item in runs[0]["files"]])


def main() -> int:
    browser = build_browser_image()
    with sample_container("bench-web") as box:
        files = box.run(["bash", "-c", FILES], "files", stream=False).split()
        exported = exported_widths(box) + [trained_wide(box)]
        parsing.last_json(box.run(["playbook", "lm", "--run", "small", "--order", "3"], "lm", stream=False))
        rows = [measure(box, browser, width, name, export, files, 8090 + number)
                for number, (width, name, export) in enumerate(exported)]
    machine = bench_figures.machine()
    print(f"\n{machine}; headless Chromium (Debian's), {len(files)} held-out files, beam 100 with the sample's scorer, "
          f"the median of {RUNS} cold loads.\n")
    print("| model | page (MB) | gzipped (MB) | of which the model (MB) | ready (s) | seconds per second of audio |")
    print("|---|---:|---:|---:|---:|---:|")
    for row in rows:
        print(f"| {row['model']} | {row['page_bytes'] / 1e6:.2f} | {row['page_bytes_gzip'] / 1e6:.2f} | "
              f"{row['model_bytes'] / 1e6:.2f} | {row['ready_s']} | {row['rtf']} |")
    # Per width: the weight of trained weights (the padded model's zeros compress away), the time and speed of the
    # model that writes text (the same sizes and arithmetic as the trained one's).
    weighed = {str(row["n_hidden"]): row for row in rows if row["model"] != WIDE_MODEL}
    timed = {str(row["n_hidden"]): row for row in rows if row["model"] != TRAINED_WIDE}
    bench_figures.write("web", {
        "machine": machine, "runs": RUNS, "rows": rows,
        "page_bytes_gzip": {width: row["page_bytes_gzip"] for width, row in weighed.items()},
        "ready_s": {width: row["ready_s"] for width, row in timed.items()},
        "rtf": {width: row["rtf"] for width, row in timed.items()}})
    return 0


if __name__ == "__main__":
    sys.exit(main())
