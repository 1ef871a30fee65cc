// Microphone -> 20 ms frames of 16 kHz mono Int16, in the audio thread (an AudioWorklet, not the deprecated
// ScriptProcessor). The page asks for a 16 kHz AudioContext; where the browser opens another rate, the frames are
// resampled here (linear interpolation between the input samples around each output one).
class PcmFrames extends AudioWorkletProcessor {
  constructor(options) {
    super();
    this.target = options.processorOptions.targetRate;
    this.step = sampleRate / this.target;      // input samples per output sample
    this.frame = new Int16Array(this.target / 50);  // 20 ms
    this.filled = 0;
    this.position = 0;                           // where the next output sample lies in the input stream
    this.previous = 0;                           // the last input sample of the previous block
    this.sumSquares = 0;
  }
  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (!channel) return true;
    for (; this.position < channel.length; this.position += this.step) {
      const index = Math.floor(this.position), fraction = this.position - index;
      const before = index === 0 ? this.previous : channel[index - 1];
      const value = this.step === 1 ? channel[index] : before + (channel[index] - before) * fraction;
      const clipped = Math.max(-1, Math.min(1, value));
      this.sumSquares += clipped * clipped;
      this.frame[this.filled++] = clipped < 0 ? clipped * 0x8000 : clipped * 0x7fff;
      if (this.filled === this.frame.length) {
        this.port.postMessage({frame: this.frame.buffer.slice(0), rms: Math.sqrt(this.sumSquares / this.filled)});
        this.filled = 0;
        this.sumSquares = 0;
      }
    }
    this.position -= channel.length;
    this.previous = channel[channel.length - 1];
    return true;
  }
}
registerProcessor("pcm-frames", PcmFrames);
