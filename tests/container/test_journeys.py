"""The user's journeys across chapters (issue 27), the way users go: through the make targets with their own arguments,
in the CPU container, one data volume for both, as one user's machine.
(a) own recordings -> make import -> make train DATASET= -> make evaluate -> make export -> make transcribe;
(b) a released checkpoint and its scorer from a web server (`playbook download-release --mirror`, here a loopback
    server holding release-shaped files: the release's layout, its alphabet's order, a small model) ->
    import-checkpoint -> own data imported with that alphabet -> make finetune (and again after a kill, and as a
    restarted job would, and as the cloud job does with FROM) -> export -> transcribe with the release's scorer.
(c) is in test_cloud.py; (d) in tests/template/test_chapters_per_engine.py and the chapters run per engine.
(e) (issue 28) make hello (a model, its scorer and export) -> make live in the CPU container, spoken to in a real browser: Debian's
    headless Chromium driven by Playwright (harness/browser/), a held-out WAV as its microphone, in the container's
    network namespace, so the page is on localhost as in a forwarded dev container."""
import json
import shutil

import pytest

from harness import images, model_bounds as bounds
from harness.bake import bake
from harness.container import ProjectContainer
from harness.parsing import last_json
from harness.paths import REPO
from harness.scoring import score

pytestmark = pytest.mark.container

# A user's recordings: a WAV and a .txt each, in sentence case with a full stop (the importer normalises them).
# The sample's voices say them; its transcripts use 23 letters, so the model's 28-label alphabet has more.
RECORDINGS = r"""
set -e
mkdir -p /data/incoming/recordings
python - <<'EOF'
import csv, shutil
rows = list(csv.DictReader(open("/data/datasets/sample/train.csv")))[::3]
for number, row in enumerate(rows):
    shutil.copy("/data/datasets/sample/" + row["wav_filename"], "/data/incoming/recordings/take%02d.wav" % number)
    open("/data/incoming/recordings/take%02d.txt" % number, "w").write(row["transcript"].capitalize() + ".\n")
EOF
ls /data/incoming/recordings | wc -l
"""

# The files of a release as its page has them: the checkpoint folder (state file naming the checkpoint by the path
# it had on the machine that trained it, the checkpoint, flags.txt, alphabet.txt) in a .tar.gz, and a scorer beside.
RELEASE_FILES = r"""
set -e
run=/data/runs/release-base
step=$(playbook runs --json | python -c 'import json, sys; print(next(r["best_dev_step"] for r in json.load(sys.stdin) if r["run"] == "release-base"))')
mkdir -p /tmp/release/deepspeech-0.9.3-checkpoint /tmp/web
cp $run/checkpoints/best_dev-$step.* /tmp/release/deepspeech-0.9.3-checkpoint/
printf 'model_checkpoint_path: "/home/deepspeech/checkpoints/best_dev-%s"\n' $step > /tmp/release/deepspeech-0.9.3-checkpoint/checkpoint
printf -- '--n_hidden=192\n--learning_rate=0.001\n' > /tmp/release/deepspeech-0.9.3-checkpoint/flags.txt
cp $run/alphabet.txt /tmp/release/deepspeech-0.9.3-checkpoint/
tar -C /tmp/release -czf /tmp/web/deepspeech-0.9.3-checkpoint.tar.gz deepspeech-0.9.3-checkpoint
cp /data/lm/release-lm/kenlm.scorer /tmp/web/deepspeech-0.9.3-models.scorer
cd /tmp/web && sha256sum deepspeech-0.9.3-checkpoint.tar.gz deepspeech-0.9.3-models.scorer
"""
SERVE = ("setsid python -m http.server 8765 --bind 127.0.0.1 --directory /tmp/web > /tmp/http.log 2>&1 < /dev/null & "
         "until python -c 'import urllib.request; urllib.request.urlopen(\"http://127.0.0.1:8765/\")' 2>/dev/null; do sleep 0.2; done")


def _make(box, *arguments, label=None):
    return box.run(["make", "-s", *arguments], label or " ".join(arguments[:1]), stream=False)


def _sh(box, command, label, check=True):
    return box.run(["bash", "-c", command], label, stream=False, check=check)


@pytest.fixture(scope="module")
def box(cpu_image, tmp_path_factory):
    project = bake(tmp_path_factory.mktemp("journeys-bake"))
    with ProjectContainer(cpu_image, project, project.name) as box:
        _make(box, "sample")
        assert _sh(box, RECORDINGS, "recordings").split()[-1] == "148"  # 74 takes
        yield box


def test_a_own_recordings_from_import_to_transcript(box):
    imported = last_json(_make(box, "import", "LAYOUT=folder", "SOURCE=/data/incoming/recordings", "NAME=mine"))
    assert imported["imported"] == 74 and imported["reasons"] == {}, imported
    _make(box, "check-dataset", "DATASET=/data/datasets/mine")
    trained = last_json(_make(box, "train", "RUN=mine", "DATASET=/data/datasets/mine", "EPOCHS=3"))
    assert trained["epochs"] == 3
    record = json.loads(_sh(box, "cat /data/runs/mine/run.json", "run.json"))
    assert record["dataset"] == "/data/datasets/mine", record  # theirs, not the sample
    evaluated = last_json(_make(box, "evaluate", "RUN=mine"))
    assert evaluated["test_set"] == "/data/datasets/mine/test.csv" and 0 <= evaluated["wer"], evaluated
    exported = last_json(_make(box, "export", "RUN=mine"))
    assert exported["model"].startswith("/data/exports/mine/")
    heard = _make(box, "transcribe", "RUN=mine", "FILE=/data/incoming/recordings/take00.wav")
    assert len(heard.strip().splitlines()) <= 1 and "error" not in heard, heard  # the transcript (a 3-epoch model's)


def test_b_a_release_from_download_to_fine_tuned_transcript(box):
    # The "release": a small model of the sample (its alphabet in the release's order, ' last) and a scorer.
    base = last_json(_sh(box, "playbook train --run release-base --set epochs=8", "release base"))
    _sh(box, "playbook lm --run release-base --order 3 --name release-lm > /dev/null", "release scorer")
    sums = dict(reversed(line.split()) for line in _sh(box, RELEASE_FILES, "release files").splitlines() if "  " in line)
    _sh(box, SERVE, "serve")
    mirror = "--mirror http://127.0.0.1:8765/"
    refused = _sh(box, f"playbook download-release deepspeech-0.9.3 {mirror} --scorer-sha256 {'0' * 64} 2>&1; echo exit=$?",
                  "wrong checksum")
    assert "has SHA-256 {}, not {}; it was not kept".format(sums["deepspeech-0.9.3-models.scorer"], "0" * 64) in refused
    assert refused.strip().endswith("exit=2") and "Traceback" not in refused, refused
    assert "deepspeech-0.9.3-models.scorer" not in _sh(box, "ls /data/incoming", "ls").split()
    fetched = last_json(_sh(box, f"playbook download-release deepspeech-0.9.3 {mirror} "
                                 f"--checkpoint-sha256 {sums['deepspeech-0.9.3-checkpoint.tar.gz']} "
                                 f"--scorer-sha256 {sums['deepspeech-0.9.3-models.scorer']}", "download"))
    assert fetched["verified"] == {"checkpoint": True, "scorer": True}, fetched
    assert fetched["checkpoint_folder"] == "/data/incoming/deepspeech-0.9.3-checkpoint"
    imported = last_json(_make(box, "import-checkpoint", "SOURCE=/data/incoming/deepspeech-0.9.3-checkpoint", "NAME=ds-0.9.3"))
    assert imported["alphabet_matches"] and imported["labels"] == 28, imported

    # Own data imported as docs/data.md first shows: its alphabet is its transcripts' 23 letters and the space.
    _make(box, "import", "LAYOUT=folder", "SOURCE=/data/incoming/recordings", "NAME=own-letters")
    refused = _sh(box, "make -s finetune FROM=ds-0.9.3 RUN=too-soon DATASET=/data/datasets/own-letters EPOCHS=1 2>&1; "
                       "echo exit=$?", "finetune refused", check=False)
    assert "the dataset's alphabet has 24 labels, all of them among run 'ds-0.9.3''s 28" in refused, refused
    assert "--alphabet /data/runs/ds-0.9.3/alphabet.txt" in refused and "Traceback" not in refused
    # As the message says: imported again with the model's alphabet, then fine-tuned.
    _make(box, "import", "LAYOUT=folder", "SOURCE=/data/incoming/recordings", "NAME=for-release",
          "ALPHABET=/data/runs/ds-0.9.3/alphabet.txt")
    tuned = last_json(_make(box, "finetune", "FROM=ds-0.9.3", "RUN=tuned", "DATASET=/data/datasets/for-release", "EPOCHS=1"))
    base_epochs = [json.loads(line) for line in _sh(box, "cat /data/runs/release-base/epochs.jsonl", "epochs").splitlines()]
    assert tuned["first_dev_loss"] < base_epochs[0]["dev_loss"], (tuned, base_epochs[0])  # from the release's weights
    again = _sh(box, "playbook finetune --from ds-0.9.3 --run tuned --dataset /data/datasets/for-release --set epochs=1 "
                     "--resume-if-exists", "finetune again")
    assert "run 'tuned' has trained 1 of its 1 epochs; nothing to do." in again, again

    # A job killed before the fine-tune's first checkpoint, restarted as job.sh restarts it: from the release again.
    _sh(box, "setsid playbook finetune --from ds-0.9.3 --run killed --dataset /data/datasets/for-release --set epochs=1 "
             "> /tmp/killed.log 2>&1 & job=$!; until [ -f /data/runs/killed/run.json ]; do sleep 0.05; done; "
             "kill -KILL -- -$job; ls /data/runs/killed/checkpoints 2>/dev/null | grep -c index || true", "killed finetune")
    restarted = _sh(box, "playbook finetune --from ds-0.9.3 --run killed --dataset /data/datasets/for-release --set epochs=1 "
                         "--resume-if-exists", "restarted finetune")
    assert "continuing run 'killed' from run 'ds-0.9.3' (no checkpoint was saved yet): 0 of 1 epochs done, 1 to go." \
        in restarted, restarted
    assert last_json(restarted)["first_dev_loss"] < base_epochs[0]["dev_loss"]
    other = _sh(box, "playbook finetune --from release-base --run killed --dataset /data/datasets/for-release "
                     "--resume-if-exists 2>&1; echo exit=$?", "other source", check=False)
    assert "run 'killed' was started from 'ds-0.9.3', not from 'release-base'" in other, other

    # The same fine-tune as the cloud job runs it (FROM), its bucket a folder here (rclone's :local: remote).
    job = ("playbook sync push :local:/tmp/bucket runs/ds-0.9.3 datasets/for-release > /dev/null && BUCKET=:local:/tmp/bucket "
           "FROM=ds-0.9.3 RUN=cloud-tuned DATASET=for-release EPOCHS=1 PUSH_EVERY=3600 bash playbook/cloud/job.sh 2>&1")
    ran = _sh(box, job, "cloud job with FROM")
    cloud = json.loads(_sh(box, "cat /data/runs/cloud-tuned/run.json", "run.json"))
    assert cloud["kind"] == "finetune" and cloud["source"]["run"] == "ds-0.9.3", (cloud, ran[-2000:])
    assert "output_graph.tflite" in _sh(box, "rclone lsf -R :local:/tmp/bucket/exports/cloud-tuned", "bucket")

    exported = last_json(_make(box, "export", "RUN=tuned"))
    heard = _make(box, "transcribe", "RUN=tuned", "FILE=/data/incoming/recordings/take01.wav",
                  f"SCORER={fetched['scorer']}")
    assert exported["model"].startswith("/data/exports/tuned/")
    assert heard.strip() and "error" not in heard, heard
    assert base["epochs"] == 8


@pytest.fixture(scope="module")
def browser_image(docker_engine):
    return images.build_browser_image()


def test_e_speaking_to_the_model_live_in_a_real_browser(box, browser_image, tmp_path):
    _make(box, "hello", "JSON=1")  # trains, builds its scorer, exports
    # Held-out files of 1.6 s or more: a partial must come before the audio ends, and the first takes about 0.7 s after
    # the voice starts. Each after MICROPHONE_LEAD_S of silence, as a user presses Start and then speaks
    # (harness/model_bounds.py says why).
    files = [f"/data/incoming/spoken-{number}.wav" for number in (0, 1, 2)]
    _sh(box, "mkdir -p /data/incoming && " + " && ".join(
        f"sox /data/datasets/sample/wav/test-00{number}.wav /data/incoming/spoken-{number}.wav pad {bounds.MICROPHONE_LEAD_S} 0" for number in (0, 1, 2)),
        "silence first")
    streamed = _sh(box, "/opt/device/bin/python -m stt_device --model $(ls -d /data/exports/hello/*/ | tail -1)"
                        "output_graph.tflite --scorer /data/lm/hello/kenlm.scorer --stream 20 --json " + " ".join(files),
                   "streamed")
    expected = [json.loads(line)["transcript"] for line in streamed.splitlines() if line.startswith("{")]
    box.start("make -s live RUN=hello SCORER=hello", "/tmp/live.log", "serving the model live", "make live", seconds=120)
    tmp_path.chmod(0o777)
    out = (f"{tmp_path}:/out",)
    pages = []
    # Each file at the 16 kHz the page asks for; the first once more at the browser's own rate (?rate=native: 44.1 kHz
    # here), which the page's worklet resamples, as it does for Firefox.
    for number, (path, query) in enumerate([(path, "") for path in files] + [(files[0], "?rate=native")]):
        shot = ["--screenshot", "/out/live-page.png"] if number == 0 else []
        page = images.browse(browser_image, box, "live_page.py", "http://localhost:8080/" + query, path, *shot, mounts=out,
                             timeout=120)
        pages.append(dict(page, query=query))
    refused = images.browse(browser_image, box, "live_page.py", "http://localhost:8080/", "--refuse", mounts=out, timeout=120)
    (REPO / "reports").mkdir(exist_ok=True)
    (REPO / "reports" / "live-browser.json").write_text(json.dumps({"expected": expected, "pages": pages,
                                                                    "refused": refused}, indent=2) + "\n")
    if (tmp_path / "live-page.png").exists():
        shutil.copy(tmp_path / "live-page.png", REPO / "reports" / "live-page.png")

    assert "resampling" in pages[-1]["status"] and "resampling" not in pages[0]["status"], pages
    for page, text in zip(pages, expected + expected[:1]):
        assert page["partials"] and page["partials"][0][0] < page["audio_s"], page  # partial text while it speaks
        assert page["final"] is not None and not page["error"], page
        assert score(text, page["final"])["cer"] <= bounds.BROWSER_MICROPHONE_CER, (text, page)
    assert pages[0]["screenshot_partial"], pages[0]
    assert refused["error"] and "The microphone was refused" in refused["status"], refused
    assert "Traceback" not in _sh(box, "cat /tmp/live.log", "live log")
