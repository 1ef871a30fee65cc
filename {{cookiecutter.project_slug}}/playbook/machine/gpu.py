"""GPU use during training: NVML samples of each GPU's utilisation and memory, every few seconds, into
RUNS/<run>/gpu.jsonl (and gpu.png at the end), and a warning for an epoch the GPUs spent mostly idle, which
means training waits on its input. Where NVML shows no GPU it records nothing and says nothing."""
import json
import threading
import time

SAMPLE_SECONDS = 5.0
IDLE_PERCENT = 10        # a sample below this utilisation counts as idle
IDLE_SHARE = 0.5         # warn when more than this share of an epoch's samples are idle
ADVICE = ("training waits on its input: turn on the feature cache (--set feature_cache=true), keep the dataset on the "
          "machine's local disk rather than a bucket mount, or raise train_batch_size")


def open_nvml():
    """(pynvml, initialised; None) or (None, why there is no NVIDIA driver to talk to)."""
    try:
        import pynvml
    except ImportError:
        return None, "nvidia-ml-py is not installed in this interpreter"
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError as error:
        return None, "no NVIDIA driver is visible ({})".format(error)
    return pynvml, None


def idle_warning(epoch, samples):
    """The warning for EPOCH given its SAMPLES ({"gpu", "utilization", ...}), or None."""
    if not samples:
        return None
    idle = sum(s["utilization"] < IDLE_PERCENT for s in samples) / len(samples)
    if idle <= IDLE_SHARE:
        return None
    mean = sum(s["utilization"] for s in samples) / len(samples)
    return "the GPU was idle in {:.0%} of epoch {} (mean utilisation {:.0f}%): {}.".format(idle, epoch, mean, ADVICE)


class Monitor:
    """A background thread that samples every GPU into PATH; `None` from start() where there is none."""

    def __init__(self, nvml, handles, path):
        self.nvml, self.handles, self.path = nvml, handles, path
        self.samples = []  # this epoch's
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    @classmethod
    def start(cls, path):
        nvml, _ = open_nvml()
        if nvml is None:
            return None
        count = nvml.nvmlDeviceGetCount()
        if not count:
            nvml.nvmlShutdown()
            return None
        monitor = cls(nvml, [nvml.nvmlDeviceGetHandleByIndex(i) for i in range(count)], path)
        monitor.thread.start()
        return monitor

    def _loop(self):
        with open(str(self.path), "a") as log:
            while not self.stopping.wait(SAMPLE_SECONDS):
                for index, handle in enumerate(self.handles):
                    rates, memory = self.nvml.nvmlDeviceGetUtilizationRates(handle), self.nvml.nvmlDeviceGetMemoryInfo(handle)
                    sample = {"time": round(time.time(), 1), "gpu": index, "utilization": rates.gpu,
                              "memory_used_gb": round(memory.used / 1e9, 2), "memory_total_gb": round(memory.total / 1e9, 2)}
                    self.samples.append(sample)
                    log.write(json.dumps(sample) + "\n")
                log.flush()

    def epoch_done(self, epoch):
        """The idle warning for the epoch that just ended, if any."""
        samples, self.samples = self.samples, []  # the sampling thread appends to the new list from here on
        return idle_warning(epoch, samples)

    def stop(self):
        self.stopping.set()
        self.thread.join()
        self.nvml.nvmlShutdown()
        try:
            plot(self.path, self.path.with_suffix(".png"))
        except Exception as error:  # noqa: BLE001 -- a missing plot must not fail a finished training
            print("note: no GPU plot ({})".format(error), flush=True)


def plot(log_path, png_path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    samples = [json.loads(line) for line in log_path.open()]
    if not samples:
        return
    start = samples[0]["time"]
    figure, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(8, 5))
    for gpu in sorted({s["gpu"] for s in samples}):
        mine = [s for s in samples if s["gpu"] == gpu]
        minutes = [(s["time"] - start) / 60 for s in mine]
        top.plot(minutes, [s["utilization"] for s in mine], label="GPU {}".format(gpu))
        bottom.plot(minutes, [s["memory_used_gb"] for s in mine], label="GPU {}".format(gpu))
    top.set_ylabel("utilisation %")
    bottom.set_ylabel("memory used, GB")
    bottom.set_xlabel("minutes")
    top.legend()
    figure.tight_layout()
    figure.savefig(str(png_path))
    plt.close(figure)
