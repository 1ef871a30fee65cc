// Microphone -> 20 ms frames of 16 kHz mono Int16, in the audio thread (an AudioWorklet, not the deprecated
// ScriptProcessor). The page asks for a 16 kHz AudioContext, and then the samples pass through unchanged. Where the
// browser opens another rate (Firefox, or ?rate=native), they are resampled here: a low-pass filter first (a
// windowed sinc, cutoff 0.45 of 16 kHz, so that what lies above 8 kHz does not fold back into speech), then linear
// interpolation between the two filtered input samples around each output one.
function lowPass(cutoff, length) {  // cutoff as a fraction of the input rate
  const taps = new Float32Array(length), middle = (length - 1) / 2;
  let sum = 0;
  for (let j = 0; j < length; j++) {
    const x = j - middle, window = 0.54 - 0.46 * Math.cos(2 * Math.PI * j / (length - 1));
    taps[j] = (x === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * x) / (Math.PI * x)) * window;
    sum += taps[j];
  }
  return taps.map(tap => tap / sum);
}

class PcmFrames extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const target = options.processorOptions.targetRate;
    this.step = sampleRate / target;                 // input samples per output sample
    this.taps = this.step > 1 ? lowPass(0.45 * target / sampleRate, 33) : new Float32Array([1]);
    this.delay = (this.taps.length - 1) / 2;         // the filter looks this many samples ahead
    this.ring = new Float32Array(2 * this.taps.length + 8);  // the latest input samples
    this.received = 0;                               // input samples so far
    this.produced = 0;                               // output samples so far
    this.frame = new Int16Array(target / 50);        // 20 ms
    this.filled = 0;
    this.sumSquares = 0;
  }
  filtered(index) {  // the low-passed input at INDEX
    let sum = 0;
    for (let j = 0; j < this.taps.length; j++) {
      const at = index + this.delay - j;
      if (at >= 0) sum += this.taps[j] * this.ring[at % this.ring.length];
    }
    return sum;
  }
  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (!channel) return true;
    for (let s = 0; s < channel.length; s++) {
      this.ring[this.received++ % this.ring.length] = channel[s];
      for (;;) {  // every output sample whose inputs (and the filter's look-ahead) are in
        const position = this.produced * this.step, index = Math.floor(position);
        if (index + 1 + this.delay >= this.received) break;
        const before = this.filtered(index), after = this.filtered(index + 1);
        this.push(before + (after - before) * (position - index));
        this.produced++;
      }
    }
    return true;
  }
  push(value) {
    // x * 32768, rounded and clipped: the inverse of the server's int16 / 32768, so 16-bit audio passes unchanged.
    const sample = Math.max(-32768, Math.min(32767, Math.round(value * 32768)));
    this.sumSquares += value * value;
    this.frame[this.filled++] = sample;
    if (this.filled === this.frame.length) {
      this.port.postMessage({frame: this.frame.buffer.slice(0), rms: Math.sqrt(this.sumSquares / this.filled)});
      this.filled = 0;
      this.sumSquares = 0;
    }
  }
}
registerProcessor("pcm-frames", PcmFrames);
