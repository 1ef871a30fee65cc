"""How close behind the voice the live server's text is, for two model widths, with 1 and 2 streams at once, on
TFLite's own kernels and on XNNPACK's, on amd64 and on emulated arm64.

    python bench/live.py            (or: make bench-live)

In the project's CPU container: the sample, the two models of bench/inference.py (n_hidden 192, the sample model;
n_hidden 2048, the same model in the release's shape: the release's cost, real text) exported. Each is served by
`playbook live` (the device runtime's server, greedy decoding, no silence finalisation) and spoken to by the
runtime's own client, `--connect`, in real time (a 20 ms frame every 20 ms, as the page sends a microphone's
audio), the 10 held-out files one after another on one connection; with 2 streams, two clients at once. Per row:

- first_partial_s: from an utterance's first frame to its first partial text (median);
- final_latency_s: from the end of the utterance's audio (its last frame and the stop frame) to its final text
  (median and worst);
- cpu_per_stream: the server's CPU seconds per second of audio per stream (from /proc: user + system time).

Last, the arm64 device image (emulated by qemu-user here) serves the sample model and the amd64 device image
speaks to it, as the Try it live chapter does: qemu's figures, slower than a real arm64 board's, and an upper
bound on them only in so far as qemu is slower everywhere. The 2048-wide model is not served there: under qemu
it cannot keep up with speech (bench/inference.py's figures times qemu's slowdown).

The page ends an utterance after 1 s of silence by default, which the final latency does not include: it is what
the server adds after the user stops (or after that second). Figures to reports/bench-live.json.
"""
import json
import os
import sys
from statistics import median

import figures as bench_figures
from sample_container import exported_widths, sample_container

from harness import docker_cli, emulation
from harness.images import ARM64, build_arm64_device_image, build_image

FILES = "ls /data/datasets/sample/wav/test-*.wav"
# The server's CPU ticks (utime + stime, /proc/PID/stat fields 14 and 15) when asked.
SERVE = "playbook live --model {model} --serve 127.0.0.1:{port} --final-after-silence 0 {flags}"
CPU = "awk '{{print $14 + $15}}' /proc/$(cat /tmp/live-{port}.log.pid)/stat; getconf CLK_TCK"
CLIENTS = ("for n in $(seq {streams}); do /opt/device/bin/python -m stt_device --connect ws://127.0.0.1:{port}/socket "
           "--json {files} > /tmp/client-$n.json & done; wait; cat /tmp/client-*.json; rm /tmp/client-*.json")
SERVING = "serving the model live"


def cpu_seconds(box, port):
    ticks, per_second = box.run(["bash", "-c", CPU.format(port=port)], "cpu", stream=False).split()
    return int(ticks) / int(per_second)


def row(width, name, kernels, platform, streams, output, used):
    results = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    audio = sum(result["audio_seconds"] for result in results)
    partials = [result["first_partial_s"] for result in results if result["first_partial_s"] is not None]
    finals = [result["final_latency_s"] for result in results]
    return {"n_hidden": width, "model": name, "kernels": kernels, "platform": platform, "streams": streams,
            "utterances": len(results), "first_partial_s": round(median(partials), 3) if partials else None,
            "final_latency_s": round(median(finals), 3), "final_latency_worst_s": round(max(finals), 3),
            "cpu_per_stream": round(used / audio, 3)}  # audio of every stream


def in_the_container(box, exported, files):
    rows, port = [], 8090
    for width, name, export in exported:
        for kernels, stream_counts in (("tflite", (1, 2)), ("xnnpack", (1,))):
            port += 1
            flags = "--xnnpack" if kernels == "xnnpack" else ""
            box.start(SERVE.format(model=export["model"], port=port, flags=flags), f"/tmp/live-{port}.log", SERVING,
                      f"serve {name}, {kernels}")
            for streams in stream_counts:
                before = cpu_seconds(box, port)
                output = box.run(["bash", "-c", CLIENTS.format(streams=streams, port=port, files=" ".join(files))],
                                 f"{streams} stream(s)", stream=False)
                rows.append(row(width, name, kernels, "amd64", streams, output, cpu_seconds(box, port) - before))
            box.run(["bash", "-c", f"kill $(cat /tmp/live-{port}.log.pid)"], "stop", stream=False)
    return rows


def on_emulated_arm64(box, width, name, export, files):
    """The arm64 device image serving EXPORT from the sample's volume; the amd64 device image in its network speaks."""
    reason = emulation.unavailable(ARM64)
    if reason:
        print(f"emulated arm64 left out: {reason}")
        return []
    arm64 = build_arm64_device_image(box.project)
    amd64, _ = build_image(box.project, "device")
    volume = ["-v", f"{box.volume}:/data:ro"]
    server = docker_cli.docker("run", "-d", "--platform", ARM64, *volume, arm64, "--model", export["model"],
                               "--serve", "0.0.0.0:8080", "--final-after-silence", "0").stdout.strip()
    try:
        docker_cli.wait_for_log(server, SERVING, "the arm64 device image's live server", seconds=300)
        pid = docker_cli.docker("inspect", "-f", "{{.State.Pid}}", server).stdout.strip()

        def used():  # qemu-user runs the server as this process: its CPU time is the emulated server's
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime (fields 14, 15)

        before = used()
        output = docker_cli.docker("run", "--rm", "--network", f"container:{server}", *volume, amd64, "--connect",
                                   "ws://127.0.0.1:8080/socket", "--json", *files).stdout
        return [row(width, name, "tflite", "arm64 (qemu)", 1, output, used() - before)]
    finally:
        docker_cli.docker("rm", "-f", server, check=False)


def main() -> int:
    with sample_container("bench-live") as box:
        files = box.run(["bash", "-c", FILES], "files", stream=False).split()
        exported = exported_widths(box)
        rows = in_the_container(box, exported, files)
        rows += on_emulated_arm64(box, *exported[0], files)
    machine = bench_figures.machine()
    print(f"\n{machine}; the {len(files)} held-out files spoken in real time, greedy decoding.\n")
    print("| model | kernels | platform | streams | first partial (s, median) | final after the audio (s, median / worst) "
          "| CPU s per audio s per stream |")
    print("|---|---|---|---:|---:|---:|---:|")
    for item in rows:
        print(f"| {item['model']} | {item['kernels']} | {item['platform']} | {item['streams']} | {item['first_partial_s']} "
              f"| {item['final_latency_s']} / {item['final_latency_worst_s']} | {item['cpu_per_stream']} |")
    default = [item for item in rows if item["streams"] == 1 and item["kernels"] == "tflite" and item["platform"] == "amd64"]
    bench_figures.write("live", {
        "machine": machine, "files": len(files), "rows": rows,
        "final_latency_s": {str(item["n_hidden"]): item["final_latency_s"] for item in default},
        "first_partial_s": {str(item["n_hidden"]): item["first_partial_s"] for item in default}})
    return 0


if __name__ == "__main__":
    sys.exit(main())
