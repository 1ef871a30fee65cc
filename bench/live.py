"""How close behind the voice the live server's text is, for two model widths, with 1 and 2 streams at once.

    python bench/live.py            (or: make bench-live)

In the project's CPU container: the sample, the two runs of bench/inference.py (n_hidden 192, the sample model;
n_hidden 2048, release width) exported. Each is served by `playbook live` (the device runtime's server, greedy
decoding, no silence finalisation) and spoken to by the runtime's own client, `--connect`, in real time
(a 20 ms frame every 20 ms, as the page sends a microphone's audio), the 10 held-out files one after another on
one connection; with 2 streams, two clients at once. Per width and stream count:

- first_partial_s: from an utterance's first frame to its first partial text (median);
- final_latency_s: from the end of the utterance's audio (its last frame and the stop frame) to its final text
  (median and worst);
- cpu_per_stream: the server's CPU seconds per second of audio per stream (from /proc: user + system time).

The page ends an utterance after 1 s of silence by default, which the final latency does not include: it is what
the server adds after the user stops (or after that second). Emulated arm64 is left out: under qemu every figure
would be qemu's. Figures to reports/bench-live.json.
"""
import json
import sys
from statistics import median

import figures as bench_figures
from sample_container import exported_widths, sample_container

FILES = "ls /data/datasets/sample/wav/test-*.wav"
# The server in the background, and its CPU ticks (utime + stime, /proc/PID/stat fields 14 and 15) when asked.
SERVE = ("setsid playbook live --model {model} --serve 127.0.0.1:{port} --final-after-silence 0 > /tmp/live-{port}.log "
         "2>&1 < /dev/null & echo $! > /tmp/live-{port}.pid; for _ in $(seq 240); do "
         "grep -q 'serving the model live' /tmp/live-{port}.log && exit 0; sleep 0.25; done; cat /tmp/live-{port}.log; exit 1")
CPU = "awk '{{print $14 + $15}}' /proc/$(cat /tmp/live-{port}.pid)/stat; getconf CLK_TCK"
CLIENTS = ("for n in $(seq {streams}); do /opt/device/bin/python -m stt_device --connect ws://127.0.0.1:{port}/socket "
           "--json {files} > /tmp/client-$n.json & done; wait; cat /tmp/client-*.json; rm /tmp/client-*.json")


def cpu_seconds(box, port):
    ticks, per_second = box.run(["bash", "-c", CPU.format(port=port)], "cpu", stream=False).split()
    return int(ticks) / int(per_second)


def main() -> int:
    rows = []
    with sample_container("bench-live") as box:
        files = box.run(["bash", "-c", FILES], "files", stream=False).split()
        for port, (width, name, exported) in enumerate(exported_widths(box), start=8091):
            box.run(["bash", "-c", SERVE.format(model=exported["model"], port=port)], f"serve {name}", stream=False)
            for streams in (1, 2):
                before = cpu_seconds(box, port)
                output = box.run(["bash", "-c", CLIENTS.format(streams=streams, port=port, files=" ".join(files))],
                                 f"{streams} stream(s)", stream=False)
                used = cpu_seconds(box, port) - before
                results = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
                audio = sum(result["audio_seconds"] for result in results)
                partials = [result["first_partial_s"] for result in results if result["first_partial_s"] is not None]
                finals = [result["final_latency_s"] for result in results]
                rows.append({"n_hidden": width, "model": name, "streams": streams, "utterances": len(results),
                             "first_partial_s": round(median(partials), 3) if partials else None,
                             "final_latency_s": round(median(finals), 3), "final_latency_worst_s": round(max(finals), 3),
                             "cpu_per_stream": round(used / audio, 3)})
            box.run(["bash", "-c", f"kill $(cat /tmp/live-{port}.pid)"], "stop", stream=False)
    machine = bench_figures.machine()
    print(f"\n{machine}; the {len(files)} held-out files spoken in real time, greedy decoding.\n")
    print("| model | streams | first partial (s, median) | final after the audio (s, median / worst) | CPU s per audio s per stream |")
    print("|---|---:|---:|---:|---:|")
    for row in rows:
        print(f"| {row['model']} | {row['streams']} | {row['first_partial_s']} | {row['final_latency_s']} / "
              f"{row['final_latency_worst_s']} | {row['cpu_per_stream']} |")
    bench_figures.write("live", {
        "machine": machine, "files": len(files), "rows": rows,
        "final_latency_s": {str(row["n_hidden"]): row["final_latency_s"] for row in rows if row["streams"] == 1},
        "first_partial_s": {str(row["n_hidden"]): row["first_partial_s"] for row in rows if row["streams"] == 1}})
    return 0


if __name__ == "__main__":
    sys.exit(main())
