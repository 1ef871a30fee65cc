"""Import throughput: seconds of audio converted per wall-clock second, and peak memory, for
`playbook import` against sox alone in a shell loop with the same parallelism.

    python bench/import.py [--utterances 2000] [--workers 2]      (or: make bench-import)

In the project's CPU container: a Common Voice-shaped corpus of N mp3 clips (48 kHz, espeak-ng's
voices) is made first; then `playbook import common-voice` (decode, resample, validate, write the
dataset) and `xargs -P WORKERS sox ...` (decode and resample only) convert the same clips. One run
each; figures to reports/bench-import.json.
"""
import argparse
import json
import sys

from peak_memory import PEAK_MEMORY
import figures as bench_figures
from sample_container import sample_container

from harness.parsing import last_json_object

MAKE_CORPUS = r"""
import csv, sys
from multiprocessing import Pool
from pathlib import Path
from playbook.data.examples import HEADER, MP3
from playbook.data.sample import VOICES, _sentences, speak

folder, count = Path(sys.argv[1]), int(sys.argv[2])
sentences = list(_sentences())
jobs = [(sentences[n % len(sentences)], folder / "clips" / "clip{:05d}.mp3".format(n), VOICES[n % len(VOICES)]) for n in range(count)]
with Pool() as pool:
    pool.starmap(speak, [(text, path, voice, MP3) for text, path, voice in jobs])
for split, part in (("train", jobs[:int(count * 0.9)]), ("dev", jobs[int(count * 0.9):int(count * 0.95)]),
                    ("test", jobs[int(count * 0.95):])):
    with open(str(folder / "{}.tsv".format(split)), "w", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t")
        writer.writerow(HEADER)
        writer.writerows([["s{}".format(n % 50), path.name, text, 2, 0, "", "", "", "en", ""] for n, (text, path, _) in enumerate(part)])
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--utterances", type=int, default=2000, help="default: %(default)s")
    parser.add_argument("--workers", type=int, default=2, help="processes for both sides (default: %(default)s)")
    args = parser.parse_args()
    with sample_container("bench-import") as box:
        box.run(["python", "-c", MAKE_CORPUS, "/data/bench/cv", str(args.utterances)], "corpus", stream=False)
        playbook = last_json_object(box.run(["python", "-c", PEAK_MEMORY, "playbook", "import", "common-voice", "/data/bench/cv",
                                             "--name", "bench", "--workers", str(args.workers)], "import", stream=False))
        report = json.loads(box.run(["cat", "/data/datasets/bench/import.json"], "report", stream=False))
        loop = ("mkdir -p /data/bench/sox && cd /data/bench/cv/clips && ls | xargs -P {} -I{{}} "
                "sox -R {{}} -r 16000 -c 1 -b 16 /data/bench/sox/{{}}.wav").format(args.workers)
        sox = last_json_object(box.run(["python", "-c", PEAK_MEMORY, "bash", "-c", loop], "sox loop", stream=False))
    audio = sum(split["hours"] for split in report["splits"].values()) * 3600 + 0.0
    rows = [("playbook import (decode, resample, validate, dataset)", playbook),
            ("sox in a shell loop (decode, resample)", sox)]
    figures = {"utterances": args.utterances, "imported": report["imported"], "audio_seconds": round(audio, 1),
               "workers": args.workers}
    print(f"\n{args.utterances} mp3 clips (48 kHz), {audio / 60:.1f} min of audio imported, {args.workers} processes each.\n")
    print("| converter | wall seconds | audio seconds per wall second | peak memory (MB) |")
    print("|---|---:|---:|---:|")
    for name, measured in rows:
        rate = audio / measured["seconds"]
        figures[name.split(" (")[0].replace(" ", "_")] = dict(measured, audio_per_second=round(rate, 1))
        print(f"| {name} | {measured['seconds']} | {rate:.1f} | {measured['peak_rss_mb']} |")
    ratio = sox["seconds"] / playbook["seconds"]
    figures["playbook_over_sox_throughput"] = round(ratio, 3)
    print(f"\nplaybook import's throughput is {ratio:.2f}x sox's alone.")
    bench_figures.write("import", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
