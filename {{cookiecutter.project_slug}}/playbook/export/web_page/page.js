// The page `playbook web-export` writes: the model transcribes in this browser, on Coqui's WebAssembly client
// (stt-wasm: the native client, TFLite, the CTC decoder and KenLM compiled with Emscripten), from the microphone
// (microphone.js, the live server's) or from a dropped file. config.json says what to load and how to decode.
//
// The client runs here, on the page's own thread: as published it cannot load inside a Web Worker. Its threads need
// SharedArrayBuffer, which a browser gives only to a cross-origin isolated page (the COOP and COEP headers).
import {Microphone, TARGET_RATE} from "./microphone.js";

const SILENCE_DBFS = -45;      // a quieter frame is silence, as on the live server (stt_device/live.py)
const FINAL_AFTER_SILENCE_S = 1.0;
const PARTIAL_S = 0.5;
const toggle = document.getElementById("toggle"), level = document.getElementById("level");
const status = document.getElementById("status"), partial = document.getElementById("partial");
const finals = document.getElementById("finals"), drop = document.getElementById("drop"), picker = document.getElementById("file");
let engine = null, model = null, stream = null, live = false;
let heard = false, silentSamples = 0, sincePartial = 0;
const engineErrors = [];

function say(text, error) {
  status.textContent = text;
  status.className = error ? "error" : "";
}

function addFinal(text) {
  const line = document.createElement("p");
  line.textContent = text;
  finals.appendChild(line);
}

// Why the client cannot start here, in one sentence, or null.
async function isolationProblem() {
  if (self.crossOriginIsolated) return null;
  if (location.protocol === "file:") {
    return "This page was opened as a file, and the speech engine's threads need it served with cross-origin isolation: " +
           "run `playbook web-serve` on its folder and open the address it prints.";
  }
  const headers = (await fetch(location.href, {method: "HEAD", cache: "no-store"})).headers;
  const missing = [["Cross-Origin-Opener-Policy", "same-origin"], ["Cross-Origin-Embedder-Policy", "require-corp"]]
    .filter(([name, value]) => (headers.get(name) || "").toLowerCase() !== value).map(([name, value]) => name + ": " + value);
  if (missing.length) {
    return "This page needs cross-origin isolation for the speech engine's threads, and its server did not send the " +
           (missing.length > 1 ? "headers " : "header ") + missing.join(" and ") + ": serve the folder with " +
           "`playbook web-serve`, or have your web host send " + (missing.length > 1 ? "them." : "it.");
  }
  return "The server sends both isolation headers, but this browser isolates only pages on https or on localhost, and " +
         "this page is at " + location.host + ": open it through a tunnel to localhost or serve it over https.";
}

function toVector(samples) {
  const vector = new engine.VectorShort();
  for (let i = 0; i < samples.length; i++) vector.push_back(samples[i]);
  return vector;
}

// The client reports a failure only as a line on stderr (and then crashes on the next call), where it also writes
// its version and TFLite's notes: look there for the failures.
function engineFailed(since, what) {
  const lines = engineErrors.slice(since).filter(line => /could not|error|failed/i.test(line));
  if (lines.length) throw new Error(what + ": " + lines.join(" "));
}

async function fetchBytes(name) {
  const response = await fetch(name);
  if (!response.ok) throw new Error("cannot load " + name + " (HTTP " + response.status + ")");
  return new Uint8Array(await response.arrayBuffer());
}

// Loads the client, the model and the scorer; resolves to the seconds from the page's navigation to ready.
async function load() {
  const problem = await isolationProblem();
  if (problem) throw new Error(problem);
  const config = await (await fetch("config.json")).json();
  const STT = (await import("./stt-wasm/stt_wasm.js")).default;
  engine = await STT({print: () => {}, printErr: line => engineErrors.push(line)});
  const [modelBytes, scorerBytes] = await Promise.all([fetchBytes(config.model), config.scorer ? fetchBytes(config.scorer) : null]);
  model = new engine.Model(modelBytes);
  engineFailed(0, "the model " + config.model + " did not load");
  model.setModelBeamWidth(config.beam_width);
  if (scorerBytes) {
    const before = engineErrors.length;
    model.enableExternalScorer(scorerBytes);
    model.setScorerAlphaBeta(config.alpha, config.beta);
    engineFailed(before, "the scorer " + config.scorer + " did not load");
    for (const [word, boost] of Object.entries(config.hot_words || {})) model.addHotWord(word, boost);
  }
  document.getElementById("about").textContent = "Run " + config.run + ", " + config.model_name + (scorerBytes ? ", with its scorer" : "") +
    "; " + config.client.name + " " + config.client.version + " (" + config.client.license + ", see stt-wasm/NOTICE.md).";
  return performance.now() / 1000;  // performance.now() counts from the navigation's start
}

// SAMPLES (16 kHz mono, Int16Array or an array of integers) to text, with the seconds it took.
function transcribe(samples) {
  const started = performance.now();
  const vector = toVector(samples);
  try {
    return {text: model.speechToText(vector).trim(), seconds: (performance.now() - started) / 1000};
  } finally {
    vector.delete();
  }
}

// A file of any format the browser decodes, at 16 kHz mono: an OfflineAudioContext at 16 kHz resamples on decoding,
// and a 16 kHz 16-bit file comes through sample for sample (x / 32768, then back).
async function decodeFile(file) {
  const audio = await new OfflineAudioContext(1, 1, TARGET_RATE).decodeAudioData(await file.arrayBuffer());
  const samples = new Int16Array(audio.length);
  for (let i = 0; i < audio.length; i++) {
    let sum = 0;
    for (let c = 0; c < audio.numberOfChannels; c++) sum += audio.getChannelData(c)[i];
    samples[i] = Math.max(-32768, Math.min(32767, Math.round(sum / audio.numberOfChannels * 32768)));
  }
  return samples;
}

async function transcribeFile(file) {
  say("Transcribing " + file.name + "...");
  try {
    const samples = await decodeFile(file);
    const result = transcribe(samples);
    addFinal(file.name + ": " + result.text);
    say("Transcribed " + file.name + " (" + (samples.length / TARGET_RATE).toFixed(1) + " s of audio in " +
        result.seconds.toFixed(2) + " s).");
    return result.text;
  } catch (error) {
    say("Cannot read " + file.name + " as audio (" + error.message + "): give a WAV, FLAC or Ogg file.", true);
    return null;
  }
}

function finish() {
  if (!stream) return;
  const text = stream.finishStream().trim();
  stream.delete();
  stream = null;
  partial.textContent = "";
  if (text) addFinal(text);
}

// One 20 ms frame from the microphone: into the stream; a partial at most every PARTIAL_S; final after a pause.
function onFrame(frame, rms) {
  if (!live) return;
  const samples = new Int16Array(frame);
  if (!stream) {
    stream = model.createStream();
    heard = false;
    silentSamples = sincePartial = 0;
  }
  const vector = toVector(samples);
  stream.feedAudioContent(vector);
  vector.delete();
  const loud = 20 * Math.log10(Math.max(rms, 1 / 32768)) > SILENCE_DBFS;
  heard = heard || loud;
  silentSamples = loud ? 0 : silentSamples + samples.length;
  sincePartial += samples.length;
  if (heard && silentSamples >= FINAL_AFTER_SILENCE_S * TARGET_RATE) {
    finish();
  } else if (sincePartial >= PARTIAL_S * TARGET_RATE) {
    sincePartial = 0;
    const text = stream.intermediateDecode();
    if (text && text !== partial.textContent) partial.textContent = text;
  }
}

const microphone = new Microphone(onFrame, level);

function stop(message) {
  live = false;
  toggle.textContent = "Start";
  toggle.className = "";
  microphone.stop();
  finish();
  say(message);
}

async function start() {
  try {
    const listening = await microphone.start(say);
    live = true;
    toggle.textContent = "Stop";
    toggle.className = "live";
    say(listening);
  } catch (error) {
    say(error.message, true);
  }
}

// For a test or a script driving the page: window.webPage.ready resolves to the seconds from navigation to ready.
window.webPage = {transcribe: samples => transcribe(Int16Array.from(samples)), transcribeFile};
window.webPage.ready = load().then(seconds => {
  toggle.disabled = picker.disabled = false;
  toggle.addEventListener("click", () => live ? stop("Stopped.") : start());
  picker.addEventListener("change", () => picker.files[0] && transcribeFile(picker.files[0]));
  drop.addEventListener("dragover", event => { event.preventDefault(); drop.className = "over"; });
  drop.addEventListener("dragleave", () => { drop.className = ""; });
  drop.addEventListener("drop", event => {
    event.preventDefault();
    drop.className = "";
    if (event.dataTransfer.files[0]) transcribeFile(event.dataTransfer.files[0]);
  });
  say("Ready: press Start, or drop a file.");
  return seconds;
}, error => {
  say(error.message, true);
  throw error;
});
