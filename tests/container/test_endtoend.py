"""The template, baked with each engine, trains, resumes, exports, transcribes and decodes with a scorer in its CPU
container (`python -m harness run --engine NAME`)."""
import json

import pytest

from harness import endtoend, images, model_bounds as bounds, scoring
from harness.bake import DEFAULT_ENGINE, FLOAT_EXPORT_ENGINES

pytestmark = pytest.mark.container


ENGINE_VERSIONS = {"coqui-stt-training": "1.4.0", "deepspeech-training": "0.9.3"}


@pytest.fixture(scope="module", params=sorted(ENGINE_VERSIONS))
def report(docker_engine, tmp_path_factory, request):
    report_dir = tmp_path_factory.mktemp("reports")
    result = endtoend.run(variant="cpu", report_dir=report_dir, engine=request.param)
    result["_dir"] = report_dir
    return result


def has_float_export(report):
    return report["engine"]["name"] in FLOAT_EXPORT_ENGINES


def test_the_run_and_the_report_name_the_engine(report):
    saved = json.loads((report["_dir"] / "demo.json").read_text())
    assert saved["engine"]["version"] == ENGINE_VERSIONS[saved["engine"]["name"]]
    assert f"{saved['engine']['name']} {saved['engine']['version']}" in (report["_dir"] / "demo.md").read_text()
    assert f"({saved['engine']['name']} {saved['engine']['version']})" in report["model_card"]


def test_report_files_hold_the_required_fields(report):
    saved = json.loads((report["_dir"] / "demo.json").read_text())
    for key in ("stages", "image_size_bytes", "model_size_bytes", "transcripts"):
        assert key in saved
    assert set(saved["stages"]) >= {"image_build", "sample", "train", "resume", "export", "transcribe", "scorer",
                                    "device_image", "device"}
    assert all(seconds >= 0 for seconds in saved["stages"].values())
    assert "| reference | hypothesis | CER | WER |" in (report["_dir"] / "demo.md").read_text()


def test_resume_continues_the_global_step(report):
    steps = report["steps"]
    assert 0 < steps["best_dev_after_train"] <= steps["after_train"] < steps["after_resume"]


def test_export_is_a_real_tflite_model(report):
    assert report["model"].startswith("/data/exports/demo/best_dev-")
    assert report["model_size_bytes"] > 100_000


def test_both_decoders_score_an_unknown_word_alike(report):
    """The engine's decoder and the device decoder share one OOV constant (stt_device/decoding.py)."""
    assert report["scorer"]["oov_scores"] == {"engine": -1000.0, "device": -1000.0}


def test_held_out_transcripts_are_close_to_their_references(report):
    transcripts = report["transcripts"]
    assert len(transcripts) == 10
    for item in transcripts:
        assert set(item) >= {"reference", "hypothesis", "cer", "wer"}
    assert report["cer"] <= bounds.HELD_OUT_CER, transcripts


def test_first_model_transcribes_the_held_out_set_with_the_scorer(report):
    # `make hello`, the demo's first transcripts: a short training, so a looser bound than the 40-epoch run's.
    first = report["first_model"]
    assert len(first["transcripts"]) == 10
    assert first["wer"] <= bounds.FIRST_MODEL_WER, first["transcripts"]


def test_image_is_within_its_size_bound(report):
    assert 500e6 < report["image_size_bytes"] <= images.CPU_IMAGE_MAX_BYTES[report["engine"]["name"]], report["image_size_bytes"]


def test_scorer_does_not_raise_the_held_out_word_error_rate(report):
    # The demo model is already good; the scorer chapter shows the drop on a weaker one.
    scorer = report["scorer"]
    assert len(scorer["transcripts"]) == 10
    assert scorer["wer"] - report["wer"] <= bounds.SCORER_WER_INCREASE, (scorer["wer"], report["wer"])


def test_device_decoder_writes_what_the_engine_decoder_writes(report):
    assert report["scorer"]["parity_files"] == 10
    assert report["scorer"]["parity_agree"] == 10


def test_device_probabilities_match_tensorflows_own_tflite_interpreter(report):
    # numpy MFCCs + ai-edge-litert 2.1.6 against the model's own feature subgraph and acoustic model on
    # TensorFlow 1.15's tf.lite, for the same audio; the float export: the same kernels up to rounding.
    parity = report["scorer"]
    assert parity["parity_max_feature_difference"] < bounds.FEATURE_DIFFERENCE
    if not has_float_export(report):
        pytest.skip("deepspeech-training 0.9.3 always quantises its export: there is no float model to compare")
    assert parity["float_parity_max_probability_difference"] < bounds.FLOAT_PROBABILITY_DIFFERENCE
    assert parity["float_parity_agree"] == 10
    assert parity["float_parity_agree_across_interpreters"] == 10


def test_quantised_model_labels_and_text_match_tensorflows_own_tflite_interpreter(report):
    # Dynamic-range quantised weights: each interpreter quantises the activations on the fly, slightly
    # differently, so the probabilities of some models differ by ~1e-3 (harness/model_bounds.py). What a user
    # sees must not: the most likely label of nearly every frame, and the text decoded from either.
    parity = report["scorer"]
    assert parity["parity_agree_across_interpreters"] == 10, parity
    assert parity["parity_argmax_differences"] <= bounds.QUANTISED_ARGMAX_DIFFERENCES * parity["parity_frames"], parity
    assert parity["parity_max_probability_difference"] < bounds.QUANTISED_PROBABILITY_DIFFERENCE, parity


def test_device_image_is_small_has_no_tensorflow_and_transcribes(report):
    assert report["device_image_bytes"] <= images.DEVICE_IMAGE_MAX_BYTES["amd64"], report["device_image_bytes"]
    assert report["device"]["tensorflow_absent"]
    assert len(report["device"]["transcripts"]) == 10
    assert report["device"]["same_as_project_image"] == 10
    assert report["device"]["cer"] <= bounds.HELD_OUT_CER


def test_another_engines_export_transcribes_alike_in_the_arm64_device_image(report, unavailable):
    if report["engine"]["name"] == DEFAULT_ENGINE:
        pytest.skip("the default engine's export runs in the arm64 device image in the TFLite chapter (test_chapters.py)")
    arm64 = report["device_arm64"]
    if "skipped" in arm64:
        unavailable(arm64["skipped"])
    assert arm64["files"] == 10 and arm64["same_as_amd64"] == 10, arm64
    assert arm64["image_bytes"] <= images.DEVICE_IMAGE_MAX_BYTES["arm64"], arm64["image_bytes"]


def test_streaming_gives_the_same_text_with_intermediate_results(report):
    device = report["device"]
    assert device["streamed_same"] == 10
    assert all(count >= 2 for count in device["streamed_partials"]), device["streamed_partials"]


def test_audio_in_another_format_is_converted(report):
    converted = report["device"]["converted"]
    assert score_cer(converted["original"], converted["transcript"]) <= bounds.CONVERTED_AUDIO_CER, converted


def score_cer(reference, hypothesis):
    return scoring.score(reference, hypothesis)["cer"]


def test_float_export_and_model_card(report):
    if has_float_export(report):
        assert report["float_model_size_bytes"] > 2.5 * report["model_size_bytes"]
    else:
        assert report["float_model_size_bytes"] is None
    card = report["model_card"]
    assert "dynamic-range quantised" in card and "n_hidden 192" in card
    assert "26 MFCCs per 32.0 ms window, every 20.0 ms" in card
    assert "28 labels" in card


def test_the_web_page_writes_the_native_clients_text_in_a_real_browser(report):
    """`playbook web-export`'s page in headless Chromium, on Coqui's WebAssembly client: every held-out file, fed as
    its 16 kHz samples and given to the file picker, comes out as the engine's native client and the device runtime
    write it (decoder-parity, the same model, beam width and scorer)."""
    web = report["web"]
    assert web["isolated"] and "Ready" in web["status"], web["status"]
    assert web["export"]["client"] == {"name": "stt-wasm", "version": "1.4.0", "license": "LGPL-2.1-only"}
    assert len(web["files"]) == len(report["transcripts"])
    for item in web["files"]:
        assert item["text"] == item["native"] == item["device"], item
        assert item["picked"] == item["text"], item


def under_the_default_engine(report, part, why):
    """REPORT[PART], which only the default engine's run has (harness/endtoend.py: STAGES, web); WHY, to skip."""
    if report["engine"]["name"] != DEFAULT_ENGINE:
        pytest.skip(why)
    return report[part]


def web_of_the_default_engine(report):
    return under_the_default_engine(report, "web", "the page's microphone and headers do not depend on the engine: the "
                                                   "default engine's run checks them (harness/endtoend.py, web)")


def test_the_web_page_transcribes_its_microphone(report):
    spoken = web_of_the_default_engine(report)["microphone"]
    assert spoken["final"] is not None and not spoken["error"], spoken
    assert scoring.score(report["web"]["microphone_expected"], spoken["final"])["cer"] <= bounds.BROWSER_MICROPHONE_CER, spoken


def test_the_web_page_names_the_missing_isolation_headers(report):
    plain = web_of_the_default_engine(report)["without_isolation"]
    assert plain["error"] and not plain["isolated"], plain
    assert plain["status"].count(".") <= 1 and "playbook web-serve" in plain["status"], plain["status"]
    for header in ("Cross-Origin-Opener-Policy: same-origin", "Cross-Origin-Embedder-Policy: require-corp"):
        assert header in plain["status"], plain["status"]


def live_of(report):
    return under_the_default_engine(report, "live", "the live server runs under the default engine only: it reads the "
                                                    "export, not the engine (harness/endtoend.py, STAGES)")


def test_the_live_socket_writes_the_streaming_clis_text(report):
    """The page's protocol (20 ms frames of 16-bit PCM, an empty frame to stop) over a real socket to the device
    image: the same text as `--stream 20`, file by file, on one connection."""
    live = live_of(report)
    assert [result["transcript"] for result in live["over_socket"]] == live["streamed"], live["over_socket"]
    assert {result["reason"] for result in live["over_socket"]} == {"stop"}


def test_two_live_microphones_at_once_each_get_their_own_text_as_they_speak(report):
    live = live_of(report)
    for (result,), expected in zip(live["at_once"], live["streamed"][1:3]):
        assert result["transcript"] == expected, result
        assert result["first_partial_s"] is not None and result["first_partial_s"] < result["audio_seconds"], result
        assert result["final_latency_s"] < 2.0, result


def test_a_pause_ends_a_live_utterance_and_the_page_is_served(report):
    live = live_of(report)
    (silence,) = live["silence"]
    assert (silence["reason"], silence["transcript"]) == ("silence", live["streamed"][0]), silence
    pages = {page["get"]: page for page in live["pages"]}
    assert pages["/"]["status"] == 200 and pages["/"]["type"].startswith("text/html"), pages
    assert pages["/worklet.js"]["status"] == 200 and "javascript" in pages["/worklet.js"]["type"], pages
    assert pages["/page.css"]["status"] == 200 and pages["/page.css"]["type"].startswith("text/css"), pages
    assert pages["/no-such-page"]["status"] == 404, pages


def test_bad_live_clients_get_a_close_reason_and_the_server_goes_on(report):
    live = live_of(report)
    closed = {case["bad"]: case for case in live["bad"]}
    assert {kind: case.get("close_code") for kind, case in closed.items()} == {
        "text": 1003, "odd": 1007, "huge": 1009, "idle": 1008, "busy": 1013}, (live["bad"], live["bad_stderr"])
    assert "binary frames of 16-bit mono PCM" in closed["text"]["close_reason"]
    assert "641 bytes" in closed["odd"]["close_reason"]
    assert "no audio for 3 s" in closed["idle"]["close_reason"]
    assert closed["busy"]["accepted_before"] == 2 and "--max-streams" in closed["busy"]["close_reason"]
    assert [result["transcript"] for result in live["after_bad"]] == live["streamed"][:1]
    log = "\n".join(live["server_log"])
    assert "every interface: anyone who can reach this port can use the model" in log and "Traceback" not in log, log
