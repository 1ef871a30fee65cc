// The microphone, for both pages: the live server's (index.html here) and the one `playbook web-export` writes, which
// transcribes in the browser. It hands over 20 ms frames of 16 kHz mono Int16 (worklet.js) with their level, and
// says what went wrong in the sentence the page shows, as an Error's message.
export const TARGET_RATE = 16000;
// ?rate=native: open the audio at the browser's own rate and resample in the page, as Firefox needs (done there
// on its own); for a browser whose 16 kHz audio sounds wrong.
const NATIVE_RATE = new URLSearchParams(location.search).get("rate") === "native";

// Why this page cannot have the microphone at all, or null. Browsers give it to https pages and to localhost only:
// a device's page opened by its address on the network is neither.
export function unavailable() {
  if (window.isSecureContext && navigator.mediaDevices) return null;
  const port = location.port || 80;
  return "This browser gives the microphone only to pages on https or on localhost, and this page is at " + location.host +
         ": open it through a tunnel (ssh -L " + port + ":localhost:" + port + " " + location.hostname +
         ", then http://localhost:" + port + "/) or serve it over https.";
}

export class Microphone {
  constructor(onFrame, level) {
    this.onFrame = onFrame;   // (ArrayBuffer of Int16, rms 0..1) => void, on every frame
    this.level = level;       // the meter's bar
    this.context = null;
    this.stream = null;
  }

  // The audio graph: a context at RATE (the browser's own when undefined) and the worklet that cuts its audio into
  // 16 kHz frames. Browsers that cannot open a 16 kHz context get their own rate, resampled.
  async graph(rate) {
    try {
      this.context = new AudioContext(rate ? {sampleRate: rate} : {});
    } catch (error) {
      this.context = new AudioContext();
    }
    await this.context.resume();  // a context made after an await may start suspended
    await this.context.audioWorklet.addModule(new URL("worklet.js", import.meta.url));
    const frames = new AudioWorkletNode(this.context, "pcm-frames", {processorOptions: {targetRate: TARGET_RATE}});
    frames.port.onmessage = event => {
      this.onFrame(event.data.frame, event.data.rms);
      this.level.style.width = Math.min(100, Math.round(event.data.rms * 400)) + "%";
    };
    return frames;
  }

  // The audio graph first, the microphone last: its first samples then go straight on, so the first word is not
  // lost while the page gets ready. SAY(text) tells the user what is happening. Returns the status line.
  async start(say) {
    const problem = unavailable();
    if (problem) throw new Error(problem);
    let frames = await this.graph(NATIVE_RATE ? undefined : TARGET_RATE);
    say("Starting the microphone...");
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({audio: {
        channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false}});
    } catch (error) {
      this.stop();
      const refused = error.name === "NotAllowedError" || error.name === "SecurityError";
      throw new Error(refused ? "The microphone was refused: allow it for this page in the browser's site settings, then press Start again."
                              : "No microphone could be opened (" + error.name + "): plug one in or choose it in the browser's settings.");
    }
    let source;
    try {
      source = this.context.createMediaStreamSource(this.stream);
    } catch (error) {
      // Firefox joins a microphone only to a context at the microphone's own rate: open that one and resample here.
      await this.context.close();
      frames = await this.graph(undefined);
      source = this.context.createMediaStreamSource(this.stream);
    }
    source.connect(frames);
    const rate = this.context.sampleRate;
    return "Listening" + (rate === TARGET_RATE ? "." : " (resampling " + rate + " Hz to 16 kHz).");
  }

  stop() {
    if (this.stream) this.stream.getTracks().forEach(track => track.stop());
    if (this.context) this.context.close();
    this.stream = this.context = null;
    this.level.style.width = "0";
  }
}
