"""Released checkpoints as starting points (`playbook import-checkpoint`), and checkpoints crossing engines.

No release can be downloaded here, so the test makes one with the release's exact shape: the
variable names, shapes and dtypes, state files, flags.txt and alphabet of DeepSpeech 0.9.3's
`deepspeech-0.9.3-checkpoint` (n_hidden 2048, trained with CuDNN, 28 labels + blank = 29 outputs).
Its weights are a small model trained here (n_hidden 192) embedded in the 2048-wide layers with
zeros around it. A zero-padded unit contributes nothing: its dense layers output relu(0) = 0, and
its LSTM cell, with zero weights and bias (forget bias 0 in both engines), keeps c = 0 and
h = o * tanh(0) = 0. So the 2048-wide checkpoint computes exactly what the 192-wide one does,
and a fine-tune from it must start where a trained model is, far below a fresh 2048 run.
CuDNN: CudnnLSTM saves its weights under the canonical LSTM names (which the CPU graph reads)
but keeps its Adam moments on its opaque parameter buffer, `cudnn_lstm/opaque_kernel/Adam[_1]`
(4 gates x (input + recurrent) x 2048^2 weights + 8 x 2048 biases); the CPU graph's moments for
the LSTM are absent, which is what `load_cudnn` exists for.
"""
import io
import json

import pytest

from harness.bake import bake
from harness.container import ProjectContainer
from harness.parsing import last_json
from harness.paths import REPO
from harness.release_shaped import STEP, WIDTH
from harness.release_shaped import make as make_release_shaped
from harness.scoring import score

pytestmark = pytest.mark.container

REPORTS = REPO / "reports"  # release-checkpoint.json: the figures below, for the record

# A small slice of the sample (32 train rows, its dev and test sets): one epoch at width 2048 on two cores in about a minute.
SMALL_DATASET = r"""
set -e
mkdir -p /data/datasets/small /data/datasets/small-digits
cd /data/datasets/sample
head -33 train.csv > ../small/train.csv; cp dev.csv test.csv alphabet.txt ../small/
sed 's|^wav/|../sample/wav/|' -i ../small/train.csv ../small/dev.csv ../small/test.csv
cp ../small/*.csv ../small-digits/
(cat alphabet.txt; printf '0\n1\n') > ../small-digits/alphabet.txt
"""


def _json(box, command, label):
    return last_json(box.run(["bash", "-c", command], label, stream=False))


def _copy_run(source_box, target_box, run):
    """A run folder from one container's data volume to another's (docker's archive API: a tar stream)."""
    source = source_box.container.get_wrapped_container()
    stream, _ = source.get_archive(f"/data/runs/{run}")
    data = io.BytesIO(b"".join(stream))
    target_box.run(["mkdir", "-p", "/data/runs"], "mkdir", stream=False)
    target_box.container.get_wrapped_container().put_archive("/data/runs", data.getvalue())


@pytest.fixture(scope="module")
def release(deepspeech_image, cpu_image, tmp_path_factory):
    tag, project = deepspeech_image
    with ProjectContainer(tag, project, project.name) as box:
        box.run(["make", "sample"], "sample", stream=False)
        box.run(["bash", "-c", SMALL_DATASET], "small dataset", stream=False)
        # The small model the release-shaped checkpoint carries (n_hidden 192, the template's default).
        base = _json(box, "playbook train --run base --set epochs=15", "train base")
        base_eval = _json(box, "playbook evaluate --run base --dataset /data/datasets/small", "evaluate base")
        best = base_eval["checkpoint"]
        made = make_release_shaped(box, f"/data/runs/base/checkpoints/{best}", "/data/incoming/deepspeech-0.9.3-checkpoint")
        listing = box.run(["ls", "-1", "/data/incoming/deepspeech-0.9.3-checkpoint"], "ls", stream=False).split()

        refused = {
            "alphabet": box.run(["bash", "-c", "playbook import-checkpoint /data/incoming/deepspeech-0.9.3-checkpoint --name wrong "
                                               "--alphabet /data/datasets/small-digits/alphabet.txt; echo exit=$?"], "refuse", stream=False),
            "not a folder": box.run(["bash", "-c", "playbook import-checkpoint /data/incoming/nothing --name wrong; echo exit=$?"],
                                    "refuse", stream=False),
        }
        imported = _json(box, "playbook import-checkpoint /data/incoming/deepspeech-0.9.3-checkpoint --name release", "import")
        again = box.run(["bash", "-c", "playbook import-checkpoint /data/incoming/deepspeech-0.9.3-checkpoint --name release; "
                                       "echo exit=$?"], "import again", stream=False)
        resume_refused = box.run(["bash", "-c", "playbook resume --run release; echo exit=$?"], "resume", stream=False)
        release_eval = _json(box, "playbook evaluate --run release --dataset /data/datasets/small", "evaluate release")

        tuned = _json(box, "playbook finetune --from release --run tuned --dataset /data/datasets/small --set epochs=1",
                      "finetune release")
        fresh = _json(box, f"playbook train --run fresh-{WIDTH} --dataset /data/datasets/small --set n_hidden={WIDTH} "
                           "--set epochs=1", "fresh 2048")
        transferred = _json(box, "playbook transfer --from release --run digits --dataset /data/datasets/small-digits "
                                 "--set epochs=1", "transfer release")
        exported = _json(box, "playbook export --run release", "export release")
        test_rows = box.run(["cat", "/data/datasets/small/test.csv"], "test.csv", stream=False).splitlines()[1:]
        files = ["/data/datasets/small/" + row.split(",")[0] for row in test_rows]
        references = [row.split(",", 2)[2] for row in test_rows]
        lines = box.run(["playbook", "transcribe", "--run", "release", "--json", *files], "transcribe release",
                        stream=False).splitlines()
        transcripts = [json.loads(line)["transcript"] for line in lines if line.startswith("{")]
        base_export = _json(box, "playbook export --run base", "export base")
        base_lines = box.run(["playbook", "transcribe", "--model", base_export["model"], "--json", *files], "transcribe base",
                             stream=False).splitlines()
        base_transcripts = [json.loads(line)["transcript"] for line in base_lines if line.startswith("{")]
        runs_json = json.loads(box.run(["playbook", "runs", "--json"], "runs", stream=False))
        tuned_record = json.loads(box.run(["cat", "/data/runs/tuned/run.json"], "run.json", stream=False))
        tuned_log = box.run(["cat", "/data/runs/tuned/invocations.jsonl"], "log", stream=False)

        # Across engines: the DeepSpeech-trained base fine-tunes under Coqui STT, and back.
        coqui_project = bake(tmp_path_factory.mktemp("coqui-bake"))
        with ProjectContainer(cpu_image, coqui_project, coqui_project.name) as coqui:
            coqui.run(["make", "sample"], "sample", stream=False)
            coqui.run(["bash", "-c", SMALL_DATASET], "small dataset", stream=False)
            _copy_run(box, coqui, "base")
            to_coqui = _json(coqui, "playbook finetune --from base --run base-in-coqui --dataset /data/datasets/small "
                                    "--set epochs=1", "finetune under coqui")
            coqui_record = json.loads(coqui.run(["cat", "/data/runs/base-in-coqui/run.json"], "run.json", stream=False))
            _copy_run(coqui, box, "base-in-coqui")
        back = _json(box, "playbook finetune --from base-in-coqui --run back-in-deepspeech --dataset /data/datasets/small "
                          "--set epochs=1", "finetune back under deepspeech")
        back_record = json.loads(box.run(["cat", "/data/runs/back-in-deepspeech/run.json"], "run.json", stream=False))
    figures = {"release_first_dev_loss_after_one_epoch": tuned["first_dev_loss"],
               "fresh_2048_first_dev_loss_after_one_epoch": fresh["first_dev_loss"],
               "base_192_best_dev_loss": base["best_dev_loss"], "release_eval": release_eval["wer"],
               "base_eval": base_eval["wer"], "transfer_first_dev_loss": transferred["first_dev_loss"],
               "export_bytes": exported["model_bytes"], "deepspeech_to_coqui_first_dev_loss": to_coqui["first_dev_loss"],
               "coqui_to_deepspeech_first_dev_loss": back["first_dev_loss"]}
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / "release-checkpoint.json").write_text(json.dumps(figures, indent=2) + "\n")
    return {"base": base, "base_eval": base_eval, "made": made, "listing": listing, "refused": refused, "imported": imported,
            "again": again, "resume_refused": resume_refused, "release_eval": release_eval, "tuned": tuned, "fresh": fresh,
            "transferred": transferred, "exported": exported, "transcripts": transcripts, "references": references,
            "base_transcripts": base_transcripts, "runs": runs_json, "tuned_record": tuned_record, "tuned_log": tuned_log,
            "to_coqui": to_coqui, "coqui_record": coqui_record, "back": back, "back_record": back_record}


def test_the_release_shaped_checkpoint_has_the_release_files(release):
    assert set(release["listing"]) == {f"best_dev-{STEP}.index", f"best_dev-{STEP}.data-00000-of-00001",
                                       f"best_dev-{STEP}.meta", "checkpoint", "flags.txt", "alphabet.txt"}


def test_import_reports_what_the_checkpoint_is(release):
    imported = release["imported"]
    assert imported["n_hidden"] == WIDTH
    assert imported["cudnn"] is True
    assert imported["outputs"] == 29 and imported["labels"] == 28 and imported["alphabet_matches"]
    assert imported["written_by"] == "deepspeech-training"
    assert imported["graph_version"] == 6
    assert imported["checkpoint"] == f"best_dev-{STEP}" and imported["step"] == STEP
    # 47.2 M weights at n_hidden 2048 with 29 outputs, as the release model has.
    assert imported["parameters"] == 494 * WIDTH + WIDTH + 3 * (WIDTH * WIDTH + WIDTH) + 2 * WIDTH * 4 * WIDTH + 4 * WIDTH \
        + WIDTH * 29 + 29


def test_checkpoints_that_cannot_be_used_are_refused_with_the_reason(release):
    assert "has 29 outputs, but /data/datasets/small-digits/alphabet.txt has 30 labels" in release["refused"]["alphabet"]
    assert "is not a folder" in release["refused"]["not a folder"]
    for text in release["refused"].values():
        assert "exit=2" in text and "Traceback" not in text
    assert "run 'release' already exists" in release["again"] and "exit=2" in release["again"]
    assert "is an imported checkpoint and stays as it was" in release["resume_refused"]


def test_the_release_shaped_model_computes_what_the_small_model_does(release):
    # Zero padding adds nothing: the same test set, the same words.
    assert release["release_eval"]["wer"] == release["base_eval"]["wer"]
    assert release["release_eval"]["cer"] == release["base_eval"]["cer"]


def test_finetune_from_the_release_starts_far_below_a_fresh_run(release):
    tuned, fresh = release["tuned"]["first_dev_loss"], release["fresh"]["first_dev_loss"]
    assert tuned < 0.5 * fresh, (tuned, fresh)
    # CuDNN checkpoint on a CPU: loaded with load_cudnn, recorded with its source.
    starts = [json.loads(line) for line in release["tuned_log"].splitlines() if '"start"' in line]
    assert "--load_cudnn=true" in starts[-1]["engine_command"]
    assert release["tuned_record"]["source"] == {"run": "release", "checkpoint": f"best_dev-{STEP}",
                                                 "engine": "deepspeech-training"}
    assert release["tuned_record"]["engine"] == "deepspeech-training" and release["tuned_record"]["engine_version"] == "0.9.3"


def test_transfer_from_the_release_learns_a_new_alphabet(release):
    assert release["transferred"]["epochs"] == 1 and release["transferred"]["first_dev_loss"] is not None


def test_the_release_exports_and_transcribes_like_the_small_model(release):
    assert release["exported"]["model_bytes"] > 10e6  # 47 M weights, int8
    assert len(release["transcripts"]) == len(release["references"]) == 10
    # Quantisation is per tensor and the padding adds only zeros: the same text as the small model's export.
    assert release["transcripts"] == release["base_transcripts"]
    cer = sum(score(r, h)["cer"] for r, h in zip(release["references"], release["transcripts"])) / 10
    assert cer <= 0.5, list(zip(release["references"], release["transcripts"]))
    kinds = {row["run"]: row["kind"] for row in release["runs"]}
    assert kinds["release"] == "imported" and kinds["tuned"] == "finetune"


def test_checkpoints_cross_engines(release):
    base_best = release["base"]["best_dev_loss"]
    # A trained model continues where it was under the other engine, far below a fresh start.
    assert release["to_coqui"]["first_dev_loss"] < 1.5 * base_best, (release["to_coqui"], base_best)
    assert release["coqui_record"]["engine"] == "coqui-stt-training"
    assert release["coqui_record"]["source"]["engine"] == "deepspeech-training"
    assert release["back"]["first_dev_loss"] < 1.5 * base_best
    assert release["back_record"]["source"]["engine"] == "coqui-stt-training"
