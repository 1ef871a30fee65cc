"""The demo scenario (`make demo`, `python -m harness run`): bake, build the CPU image, then in a container on a
fresh data volume run the starter commands in order (STAGES: one function each) and check what each one left
behind.

    sample -> first model (`make hello`: short training, scorer, held-out transcripts)
           -> train -> checkpoint files -> resume (the global step moves on)
           -> export (TFLite) -> transcribe the held-out set on the device runtime
           -> float export -> scorer -> device image -> live (the device image serving the export to a socket)
"""
import csv
import io
import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from . import docker_cli, emulation, model_bounds as bounds
from .bake import DEFAULT_ENGINE, ENGINES, FLOAT_EXPORT_ENGINES, VARIANTS, bake, engine_named
from .container import ProjectContainer
from .images import ARM64, browse, build_arm64_device_image, build_browser_image, build_image
from .parsing import last_json
from .paths import REPO, WORK
from .scoring import error_rates, score
from .log import HarnessError, log

RUN = "demo"
CHECKPOINT_SUFFIXES = (".index", ".meta", ".data-00000-of-00001")


class Stages:
    def __init__(self):
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str):
        log(f"--- {name}")
        started = time.monotonic()
        try:
            yield
        finally:
            self.seconds[name] = round(time.monotonic() - started, 1)
            log(f"--- {name}: {self.seconds[name]} s")


def checkpoint_state(box: ProjectContainer, state_file: str) -> tuple[str, int]:
    text = box.run(["cat", f"/data/runs/{RUN}/checkpoints/{state_file}"], "checkpoints", stream=False)
    match = re.search(r'^model_checkpoint_path: "(?:.*/)?(([a-z_]+)-(\d+))"', text, re.M)
    if not match:
        raise HarnessError(f"/data/runs/{RUN}/checkpoints/{state_file} names no checkpoint:\n{text}")
    return match.group(1), int(match.group(3))


def check_checkpoint_files(box: ProjectContainer, name: str, folder: str = "checkpoints") -> None:
    listing = box.run(["ls", "-l", f"/data/runs/{RUN}/{folder}"], "checkpoints", stream=False)
    for suffix in CHECKPOINT_SUFFIXES:
        if not re.search(rf"^\S+\s+\d+\s+stt\s+stt\s+[1-9]\d*\s.*\s{re.escape(name + suffix)}$", listing, re.M):
            raise HarnessError(f"checkpoint file {name}{suffix} is missing, empty or not owned by the non-root user:\n{listing}")


def held_out_set(box: ProjectContainer) -> list[dict]:
    text = box.run(["cat", "/data/datasets/sample/test.csv"], "test-set", stream=False)
    return list(csv.DictReader(io.StringIO(text)))


class Demo:
    """What the stages share: the project, its container, the report being written, and what earlier stages made."""

    def __init__(self, engine: str, project: Path, box: ProjectContainer, report: dict):
        self.engine, self.project, self.box, self.report = engine, project, box, report
        self.samples: list[dict] = []   # the held-out set's rows
        self.files: list[str] = []      # their audio, as paths in the container
        self.exported: dict = {}        # `export`'s summary (the quantised model)
        self.float_export: dict | None = None
        self.scored: list[dict] = []    # the device runtime's transcripts with the scorer
        self.parity: dict = {}          # decoder-parity with the scorer: per file, the native client's text too
        self.on_device: list[dict] = [] # the device image's
        self.device_tag = ""


def sample(demo: Demo) -> None:
    demo.box.run(["make", "sample"], "sample")


def first_model(demo: Demo) -> None:
    """`make hello`: a short training, a scorer and the held-out set transcribed with it; the first transcripts,
    before the demo's own 40-epoch run starts."""
    lines = demo.box.run(["make", "-s", "hello", "JSON=1"], "hello").splitlines()
    first = [json.loads(line) for line in lines if line.startswith('{"file"')]
    demo.samples = held_out_set(demo.box)
    if len(first) != len(demo.samples):
        raise HarnessError(f"`make hello` transcribed {len(first)} held-out files, not {len(demo.samples)}.")
    demo.files = [f"/data/datasets/sample/{row['wav_filename']}" for row in demo.samples]
    demo.report["first_model"] = {"transcripts": [dict(score(t["reference"], t["transcript"]), file=t["file"]) for t in first]}


def train(demo: Demo) -> None:
    demo.box.run(["make", "train", f"RUN={RUN}"], "train")
    record = json.loads(demo.box.run(["cat", f"/data/runs/{RUN}/run.json"], "run.json", stream=False))
    demo.report["engine"] = {"name": record["engine"], "version": record["engine_version"]}
    if record["engine"] != demo.engine:
        raise HarnessError(f"the project was baked with engine {demo.engine}, but its run was trained by {record['engine']}.")


def checkpoints(demo: Demo) -> None:
    last, trained_step = checkpoint_state(demo.box, "checkpoint")
    best, best_step = checkpoint_state(demo.box, "best_dev_checkpoint")
    check_checkpoint_files(demo.box, last)
    check_checkpoint_files(demo.box, best)
    demo.report["steps"] = {"after_train": trained_step, "best_dev_after_train": best_step, "best": best}


def resume(demo: Demo) -> None:
    steps = demo.report["steps"]
    demo.box.run(["make", "resume", f"RUN={RUN}"], "resume")
    # A run that silently started afresh would count its steps from 0 again.
    _, steps["after_resume"] = checkpoint_state(demo.box, "checkpoint")
    if steps["after_resume"] <= steps["after_train"]:
        raise HarnessError(f"resume did not move the global step on: {steps['after_train']} before, {steps['after_resume']} after.")
    # The engine may replace best_dev during a resume; the run keeps the earlier one.
    check_checkpoint_files(demo.box, steps.pop("best"), folder="kept")


def export(demo: Demo) -> None:
    demo.exported = last_json(demo.box.run(["make", "-s", "export", f"RUN={RUN}"], "export"))
    demo.report.update(model=demo.exported["model"], model_size_bytes=demo.exported["model_bytes"],
                       model_card=demo.box.run(["cat", demo.exported["model_card"]], "model card", stream=False))


def transcribe(demo: Demo) -> None:
    box, files = demo.box, demo.files
    lines = box.run(["playbook", "transcribe", "--run", RUN, "--json", *files], "transcribe").splitlines()
    results = [json.loads(line) for line in lines if line.startswith("{")]
    if len(results) != len(demo.samples):
        raise HarnessError(f"transcribe gave {len(results)} results for {len(demo.samples)} files.")
    # The documented command, on one file, must say the same.
    plain = box.run(["make", "-s", "transcribe", f"RUN={RUN}", f"FILE={files[0]}"], "transcribe", stream=False)
    if plain.strip().splitlines()[-1].strip() != results[0]["transcript"]:
        raise HarnessError(f"`make transcribe` said {plain.strip()!r}, the JSON path said {results[0]['transcript']!r}.")
    # The device runtime has no TensorFlow to import, by construction.
    box.run(["/opt/device/bin/python", "-c",
             "import importlib.util, sys, stt_device.cli; "
             "assert importlib.util.find_spec('tensorflow') is None, 'tensorflow is importable'; "
             "assert 'tensorflow' not in sys.modules"], "no-tensorflow", stream=False)
    demo.report["transcripts"] = [
        dict(score(row["transcript"], result["transcript"]), file=row["wav_filename"], audio_seconds=result["audio_seconds"],
             transcribe_seconds=round(result["inference_seconds"] + result["decode_seconds"], 3))
        for row, result in zip(demo.samples, results)]


def float_export(demo: Demo) -> None:
    """After the first transcript, which does not need it. From here on the run's newest export is the float one,
    so later commands name the quantised model instead of saying `--run`. An engine that always quantises its
    TFLite export has no float export and no float parity."""
    if demo.engine in FLOAT_EXPORT_ENGINES:
        demo.float_export = last_json(demo.box.run(["playbook", "export", "--run", RUN, "--float"], "export --float", stream=False))
    demo.report["float_model_size_bytes"] = demo.float_export["model_bytes"] if demo.float_export else None


def scorer(demo: Demo) -> None:
    """A language model from the sample's text, then the same files decoded with it on the device path, and the
    device decoder's text checked against the engine's decoder on the same probabilities."""
    box, files, model = demo.box, demo.files, demo.exported["model"]
    built = last_json(box.run(["playbook", "lm", "--run", RUN, "--order", "3"], "lm"))
    lines = box.run(["playbook", "transcribe", "--model", model, "--scorer", "sample", "--json", *files],
                    "transcribe+scorer").splitlines()
    demo.scored = [json.loads(line) for line in lines if line.startswith("{")]
    parity = demo.parity = last_json(box.run(["playbook", "decoder-parity", "--run", RUN, "--model", model, "--scorer", "sample",
                                              *files], "decoder-parity", stream=False))
    # The float export too: dynamic-range quantised kernels differ between TF 1.15's TFLite and
    # ai-edge-litert 2.1.6 (how activations are quantised on the fly); float kernels agree closely.
    float_parity = (last_json(box.run(["playbook", "decoder-parity", "--run", RUN, "--scorer", "sample",
                                       "--model", demo.float_export["model"], *files], "decoder-parity --float", stream=False))
                    if demo.float_export else {})
    demo.report["scorer"] = {
        "package_bytes": built["package"]["bytes"], "vocabulary": built["normalisation"]["vocabulary"],
        "parity_agree": parity["agree"], "parity_files": parity["files"],
        "parity_max_probability_difference": parity["max_probability_difference"],
        "parity_max_feature_difference": parity["max_feature_difference"],
        "parity_frames": parity["frames"], "parity_argmax_differences": parity["argmax_differences"],
        "parity_agree_across_interpreters": parity["agree_across_interpreters"],
        "float_parity_max_probability_difference": float_parity.get("max_probability_difference"),
        "float_parity_argmax_differences": float_parity.get("argmax_differences"),
        "float_parity_agree_across_interpreters": float_parity.get("agree_across_interpreters"),
        "float_parity_agree": float_parity.get("agree"),
        "parity_agree_with_native_client": parity["agree_with_native"],
        "native_client": parity["native_client"],
        "oov_scores": {"engine": parity["engine_oov_score"], "device": parity["device_oov_score"]},
        "transcripts": [dict(score(row["transcript"], result["transcript"]), file=row["wav_filename"],
                             decode_seconds=result["decode_seconds"])
                        for row, result in zip(demo.samples, demo.scored)]}


def device_image(demo: Demo) -> None:
    demo.device_tag, _ = build_image(demo.project, "device")
    demo.report["device_image"] = demo.device_tag
    demo.report["device_image_bytes"] = docker_cli.image_size(demo.device_tag)


def device(demo: Demo) -> None:
    """The device image alone, on the same data volume (read-only): the export and the scorer."""
    box, files, tag, samples = demo.box, demo.files, demo.device_tag, demo.samples
    on_volume = ["run", "--rm", "-v", f"{box.volume}:/data:ro", tag, "--model", demo.exported["model"],
                 "--scorer", "/data/lm/sample/kenlm.scorer", "--json"]
    output = docker_cli.docker(*on_volume, *files, check=False)
    if output.returncode != 0:
        raise HarnessError(f"the device image failed to transcribe: {output.stderr.strip()[-1500:]}")
    demo.on_device = [json.loads(line) for line in output.stdout.splitlines() if line.startswith("{")]
    tensorflow = docker_cli.docker("run", "--rm", "--entrypoint", "python3", tag, "-c",
                                   "import importlib.util as u; print(u.find_spec('tensorflow') is None)").stdout.strip()
    # The streaming API fed in 120 ms chunks, and a 44.1 kHz stereo 24-bit copy of the first file.
    box.run(["sox", files[0], "-r", "44100", "-c", "2", "-b", "24", "/data/datasets/held-out-44k-stereo.wav"], "sox")
    streamed = docker_cli.docker(*on_volume, "--stream", "120", *files, "/data/datasets/held-out-44k-stereo.wav")
    streamed = [json.loads(line) for line in streamed.stdout.splitlines() if line.startswith("{")]
    demo.report["device"] = {
        "tensorflow_absent": tensorflow == "True",
        "same_as_project_image": sum(a["transcript"] == b["transcript"] for a, b in zip(demo.on_device, demo.scored)),
        "streamed_same": sum(a["transcript"] == b["transcript"] for a, b in zip(streamed, demo.on_device)),
        "streamed_partials": [len(item.get("partials", [])) for item in streamed[:len(files)]],
        "converted": {"file": "44.1 kHz stereo 24-bit copy of " + samples[0]["wav_filename"],
                      "transcript": streamed[-1]["transcript"], "original": demo.on_device[0]["transcript"]},
        "transcripts": [dict(score(row["transcript"], result["transcript"]), file=row["wav_filename"])
                        for row, result in zip(samples, demo.on_device)]}


def device_arm64(demo: Demo) -> None:
    """The same export in the arm64 device image (emulated): the default engine's exports run there in the TFLite
    chapter; this is another engine's."""
    reason = emulation.unavailable(ARM64)
    if reason:
        demo.report["device_arm64"] = {"skipped": reason}
        return
    tag = build_arm64_device_image(demo.project)
    output = docker_cli.docker("run", "--rm", "--platform", ARM64, "-v", f"{demo.box.volume}:/data:ro", tag,
                               "--model", demo.exported["model"], "--scorer", "/data/lm/sample/kenlm.scorer", "--json", *demo.files)
    on_arm64 = [json.loads(line) for line in output.stdout.splitlines() if line.startswith("{")]
    demo.report["device_arm64"] = {"image_bytes": docker_cli.image_size(tag), "files": len(on_arm64),
                                   "same_as_amd64": sum(a["transcript"] == b["transcript"] for a, b in zip(on_arm64, demo.on_device))}


LIVE_URL = "ws://127.0.0.1:8080/socket"
LIVE_SERVER_LOG = "serving the model live at http://localhost:8080/"


def live(demo: Demo) -> None:
    """The device image serving the export live (`--serve`, stt_device/live.py), spoken to through its socket by the
    runtime's own client (`--connect`: the page without a microphone) and by bad clients (harness/live_client.py),
    each in its own container in the server's network namespace. The text over the socket must be the streaming
    CLI's with the page's 20 ms frames (`--stream 20`): the same samples in the same chunks."""
    box, files, tag = demo.box, demo.files, demo.device_tag
    box.run(["sox", files[0], "/data/datasets/held-out-then-silence.wav", "pad", "0", "1.5"], "sox")
    volume = ["-v", f"{box.volume}:/data:ro"]
    model = ["--model", demo.exported["model"], "--scorer", "/data/lm/sample/kenlm.scorer"]
    streamed = docker_cli.docker("run", "--rm", *volume, tag, *model, "--json", "--stream", "20", *files).stdout
    streamed = [json.loads(line)["transcript"] for line in streamed.splitlines() if line.startswith("{")]
    server = docker_cli.docker("run", "-d", *volume, tag, *model, "--serve", "0.0.0.0:8080", "--max-streams", "2",
                               "--idle-timeout", "3").stdout.strip()
    beside = ["run", "--rm", "--network", f"container:{server}", *volume]

    def connect(*arguments):
        output = docker_cli.docker(*beside, tag, "--connect", LIVE_URL, "--json", *arguments, check=False)
        return [json.loads(line) for line in output.stdout.splitlines() if line.startswith("{")] or output.stderr.strip()

    try:
        docker_cli.wait_for_log(server, LIVE_SERVER_LOG, "the device image's live server")
        fast = connect("--pace", "0", *files)
        with ThreadPoolExecutor(2) as pool:  # two microphones at once, in real time
            at_once = list(pool.map(lambda path: connect(path), files[1:3]))
        silence = connect("--pace", "0", "/data/datasets/held-out-then-silence.wav")
        bad = docker_cli.docker(*beside, "-v", f"{REPO / 'harness' / 'live_client.py'}:/opt/live_client.py:ro",
                                "--entrypoint", "python3", tag, "/opt/live_client.py", LIVE_URL,
                                "--get", "/", "/worklet.js", "/page.css", "/no-such-page", "--bad", "text", "odd", "huge", "idle", "busy",
                                check=False)
        cases = [json.loads(line) for line in bad.stdout.splitlines() if line.startswith("{")]
        after = connect("--pace", "0", files[0])
    finally:
        logs = docker_cli.docker("logs", server, check=False)
        docker_cli.docker("rm", "-f", server, check=False)
    demo.report["live"] = {
        "server_log": logs.stderr.strip().splitlines()[:40],
        "files": len(files), "streamed": streamed, "over_socket": fast, "at_once": at_once, "silence": silence,
        "pages": [case for case in cases if "get" in case], "bad": [case for case in cases if "bad" in case],
        "bad_stderr": bad.stderr.strip()[-600:], "after_bad": after}


def web(demo: Demo) -> None:
    """The export as a page that transcribes in the browser on Coqui's WebAssembly client (`playbook web-export`),
    served by `playbook web-serve` in the project's container and opened by headless Chromium in its network
    namespace (harness/browser/): every held-out file as samples and through the file picker (web_page.py); under the
    default engine also the first through the fake microphone (live_page.py), and the page from a server without
    the isolation headers."""
    box, default_engine = demo.box, demo.engine == DEFAULT_ENGINE
    exported = last_json(box.run(["playbook", "web-export", "--run", RUN, "--model", demo.exported["model"],
                                  "--scorer", "sample", "--out", "/data/web/demo"], "web-export", stream=False))
    box.start("playbook web-serve /data/web/demo", "/tmp/web-serve.log", "serving the page", "web-serve")
    # The microphone and the headers do not depend on which engine exported the model: the default engine's run only.
    # The microphone hears the first file after a second of silence, as a user presses Start and then speaks
    # (harness/model_bounds.py, MICROPHONE_LEAD_S, says why); its text from the page's samples is the microphone's
    # reference.
    spoken = "/data/datasets/silence-then-held-out.wav"
    if default_engine:
        # The same folder from a server without the isolation headers, as a user's plain static host would serve it.
        box.start("python -u -m http.server 8090 --directory /data/web/demo", "/tmp/plain-serve.log", "Serving HTTP on",
                  "plain server")
        box.run(["sox", demo.files[0], spoken, "pad", str(bounds.MICROPHONE_LEAD_S), "0"], "sox", stream=False)
    browser = build_browser_image()

    def page(*arguments, script="web_page.py"):
        return browse(browser, box, script, *arguments)

    served = page("http://localhost:8080/", *demo.files, *([spoken] if default_engine else []))
    rows = {row["file"]: row for row in demo.parity["rows"]}
    demo.report["web"] = {
        "export": exported, "ready_s": served["ready_s"], "isolated": served["isolated"], "status": served["ready_status"],
        "files": [dict(item, native=rows[item["file"]]["native"], device=rows[item["file"]]["device"])
                  for item in served["files"] if item["file"] in rows],
        "native_client": demo.parity["native_client"]}
    if default_engine:
        demo.report["web"].update(microphone=page("http://localhost:8080/", spoken, script="live_page.py"),
                                  microphone_expected=served["files"][-1]["text"], without_isolation=page("http://localhost:8090/"))


# The scenario, in order, in the project's container: (stage, what it does, which engines it runs under).
EVERY_ENGINE = None
OTHER_ENGINES = "other than the default"
DEFAULT_ONLY = "the default"
STAGES = [
    ("sample", sample, EVERY_ENGINE),
    ("first_model", first_model, EVERY_ENGINE),
    ("train", train, EVERY_ENGINE),
    ("checkpoints", checkpoints, EVERY_ENGINE),
    ("resume", resume, EVERY_ENGINE),
    ("export", export, EVERY_ENGINE),
    ("transcribe", transcribe, EVERY_ENGINE),
    ("float_export", float_export, EVERY_ENGINE),
    ("scorer", scorer, EVERY_ENGINE),
    ("device_image", device_image, EVERY_ENGINE),
    ("device", device, EVERY_ENGINE),
    ("web", web, EVERY_ENGINE),  # the page's client must load each engine's export
    ("device_arm64", device_arm64, OTHER_ENGINES),  # the default engine's arm64 run is the TFLite chapter's
    ("live", live, DEFAULT_ONLY),  # the device runtime's server does not know which engine exported the model
]


def run(variant: str = "cpu", keep: bool = False, report_dir: Path = REPO / "reports", report_name: str = "demo",
        settings: dict | None = None, engine: str = DEFAULT_ENGINE) -> dict:
    """`settings` go into the baked project's playbook.toml (bench/model_spread.py sets random_seed)."""
    docker_cli.require_daemon()
    stages = Stages()
    report: dict = {"variant": variant, "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "settings": settings or {}}
    with stages.stage("bake"):
        project = bake(WORK / engine_named(variant, engine), {**VARIANTS[variant], **ENGINES[engine]}, settings)
    with stages.stage("image_build"):
        tag, report["base_images"] = build_image(project, "cpu")
    report["image"] = tag
    report["image_size_bytes"] = docker_cli.image_size(tag)

    # Time to the first transcript counts from here: the container's start is part of it.
    container_start = time.monotonic()
    with ProjectContainer(tag, project, project.name, keep=keep) as box:
        stages.seconds["container_start"] = round(time.monotonic() - container_start, 1)
        demo = Demo(engine, project, box, report)
        for name, stage, engines in STAGES:
            if (engines == OTHER_ENGINES and engine == DEFAULT_ENGINE) or (engines == DEFAULT_ONLY and engine != DEFAULT_ENGINE):
                continue
            with stages.stage(name):
                stage(demo)
    for part in (report["scorer"], report["first_model"], report, report["device"]):
        part.update(error_rates(part["transcripts"]))
    report["stages"] = stages.seconds
    report["total_seconds"] = round(sum(stages.seconds.values()), 1)
    write_report(report, report_dir, report_name)
    return report


def write_report(report: dict, report_dir: Path, name: str) -> None:
    report_dir.mkdir(parents=True, exist_ok=True)
    (report_dir / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n")
    (report_dir / f"{name}.md").write_text(markdown(report))
    log(f"report: {report_dir / (name + '.json')} and {report_dir / (name + '.md')}")


def markdown(report: dict) -> str:
    float_parity = report["scorer"]["float_parity_max_probability_difference"]
    lines = [f"# End-to-end run: {report['variant']} variant, {report['engine']['name']} {report['engine']['version']}", "",
             f"Image `{report['image']}`: {report['image_size_bytes'] / 1e6:.0f} MB; base images: "
             + ", ".join(f"`{k}` ({v})" for k, v in report["base_images"].items()) + ".",
             f"Model `{report['model']}`: {report['model_size_bytes'] / 1e3:.0f} kB.",
             f"First model (`make hello`, {report['stages']['first_model']} s): held-out CER {report['first_model']['cer']:.3f}, "
             f"WER {report['first_model']['wer']:.3f} with the sample's scorer.",
             f"Global step: {report['steps']['after_train']} after train, {report['steps']['after_resume']} after resume.",
             f"Held-out set: CER **{report['cer']:.3f}**, WER {report['wer']:.3f} over {len(report['transcripts'])} files "
             f"(greedy decoding); with the sample's scorer CER {report['scorer']['cer']:.3f}, WER {report['scorer']['wer']:.3f} "
             f"(device and engine decoders agree on {report['scorer']['parity_agree']} of {report['scorer']['parity_files']}; "
             f"the engine's native client (`{report['scorer']['native_client']}`) writes the same text for "
             f"{report['scorer']['parity_agree_with_native_client']}; "
             f"probabilities within {report['scorer']['parity_max_probability_difference']:.1e} of TensorFlow 1.15's own TFLite"
             + (f", {float_parity:.1e} for the float export)." if float_parity is not None else "; this engine has no float export)."),
             f"Device image `{report['device_image']}` ({report['device_image_bytes'] / 1e6:.0f} MB, TensorFlow "
             f"{'absent' if report['device']['tensorflow_absent'] else 'PRESENT'}): with the scorer CER {report['device']['cer']:.3f}, "
             f"WER {report['device']['wer']:.3f}; {report['device']['same_as_project_image']} of {len(report['device']['transcripts'])} "
             "transcripts the same as in the project image."
             + (f" In the arm64 device image (emulated), {report['device_arm64']['same_as_amd64']} of "
                f"{report['device_arm64']['files']} the same as on amd64." if "same_as_amd64" in report.get("device_arm64", {})
                else ""), "",
             "| stage | seconds |", "|---|---:|"]
    lines += [f"| {name} | {seconds} |" for name, seconds in report["stages"].items()]
    lines += [f"| **total** | **{report['total_seconds']}** |", "", "| reference | hypothesis | CER | WER |", "|---|---|---:|---:|"]
    lines += [f"| {t['reference']} | {t['hypothesis']} | {t['cer']:.3f} | {t['wer']:.3f} |" for t in report["transcripts"]]
    lines += ["", "With the scorer:", "", "| reference | hypothesis | CER | WER |", "|---|---|---:|---:|"]
    lines += [f"| {t['reference']} | {t['hypothesis']} | {t['cer']:.3f} | {t['wer']:.3f} |" for t in report["scorer"]["transcripts"]]
    return "\n".join(lines) + "\n"
