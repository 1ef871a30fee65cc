"""`playbook doctor`: whether this machine will train, and on what. One line per check, ok / warn / fail,
each warning and failure with its fix; `--json` for scripts. It never raises: a check that cannot run is
itself the verdict.

The GPU facts are NVIDIA's for the GPU image's base, NGC TensorFlow 23.03-tf1 (CUDA 12.1): driver 530 or
later, or on data-center GPUs a forward-compatible branch; compute capability 6.0 (Pascal) or later, and
validated up to 8.6/8.7 (Ampere). Sources: ../docs/cloud.md, "Choosing a GPU".
"""
import json
import os
import platform
import shutil
import subprocess
import sys

from .. import settings, storage
from .gpu import open_nvml

OK, WARN, FAIL = "ok", "warn", "fail"
IMAGE = os.environ.get("PLAYBOOK_IMAGE", "cpu")  # set by the project's Dockerfiles: cpu or gpu

CUDA_NEEDED = (12, 1)
DRIVER_NEEDED = 530
# Data-center GPUs run CUDA 12.1 on these older branches in forward-compatibility mode (NGC 23.03 notes):
# branch -> lowest release of it.
FORWARD_COMPATIBLE = {450: (450, 51), 470: (470, 57), 510: (510, 47), 515: (515, 65), 525: (525, 85), 530: (530, 30)}
DATA_CENTER = ("Tesla", "A100", "A10", "A16", "A30", "A40", "A800", "H100", "H200", "H800", "L4", "L40", "T4", "V100",
               "P100", "P40", "P4")
MIN_CAPABILITY, VALIDATED_CAPABILITY = (6, 0), (8, 7)
SHM_NEEDED = {"gpu": 1 << 30, "cpu": 64 << 20}  # NVIDIA's advice for its images; Docker's default otherwise
FREE_FAIL, FREE_WARN = 1 << 30, 10 << 30
TENSORFLOW_TIMEOUT = 180


def _check(name, verdict, detail, fix=""):
    return {"check": name, "verdict": verdict, "detail": detail, "fix": fix}


def engine():
    from .. import engines
    try:
        return _check("engine", OK, "{} on CPython {}".format(engines.current().describe(), platform.python_version()))
    except Exception as error:  # noqa: BLE001 -- the verdict is the message
        return _check("engine", FAIL, str(error), "run doctor inside the project's container")


def cpu():
    machine = platform.machine()
    if machine not in ("x86_64", "AMD64"):
        return _check("cpu", FAIL, "a {} CPU: TensorFlow 1.15 has wheels for x86-64 only".format(machine),
                      "train on an x86-64 machine or cloud VM; this CPU can still run the device runtime (docs/tflite.md)")
    try:
        with open("/proc/cpuinfo") as info:
            flags = next((line.split(":", 1)[1].split() for line in info if line.startswith("flags")), [])
    except OSError as error:
        return _check("cpu", WARN, "cannot read /proc/cpuinfo ({})".format(error), "")
    cores = os.cpu_count()
    if "avx" not in flags:
        return _check("cpu", FAIL, "{} cores without AVX: TensorFlow 1.15's wheels stop with 'Illegal instruction' "
                      "(old CPUs, and x86 emulation such as Docker on Apple Silicon)".format(cores),
                      "train on an x86-64 CPU with AVX (Intel and AMD since 2011) or a cloud VM")
    return _check("cpu", OK, "{} cores with AVX{}".format(cores, " and AVX2" if "avx2" in flags else ""))


def _text(value):
    return value.decode() if isinstance(value, bytes) else value


def gpus():
    """The driver check, then one check per GPU; and the GPUs found."""
    nvml, missing = open_nvml()
    if nvml is None:
        if IMAGE == "gpu":
            return [_check("nvidia_driver", FAIL, missing, "start the container with `--gpus all` on a host with NVIDIA's "
                           "driver and the NVIDIA Container Toolkit (the GPU dev container does)")], []
        return [_check("nvidia_driver", OK, missing + ": this is the CPU image, training uses the CPU", "")], []
    checks, found = [], []
    try:
        driver = _text(nvml.nvmlSystemGetDriverVersion())
        cuda = nvml.nvmlSystemGetCudaDriverVersion()
        count = nvml.nvmlDeviceGetCount()
        for index in range(count):
            handle = nvml.nvmlDeviceGetHandleByIndex(index)
            found.append({"index": index, "name": _text(nvml.nvmlDeviceGetName(handle)),
                          "memory_gb": round(nvml.nvmlDeviceGetMemoryInfo(handle).total / 1e9, 1),
                          "capability": tuple(nvml.nvmlDeviceGetCudaComputeCapability(handle))})
    finally:
        nvml.nvmlShutdown()
    checks.append(driver_check(driver, (cuda // 1000, cuda % 1000 // 10), [g["name"] for g in found]))
    checks += [gpu_check(g) for g in found]
    if not found:
        checks.append(_check("gpus", FAIL, "the driver is there but shows no GPU", "check `nvidia-smi` on the host"))
    return checks, found


def driver_check(driver, cuda, names):
    detail = "driver {}, supports CUDA {}.{}".format(driver, *cuda)
    if cuda >= CUDA_NEEDED:
        return _check("nvidia_driver", OK, detail)
    major, minor = (int(part) for part in driver.split(".")[:2])
    lowest = FORWARD_COMPATIBLE.get(major)
    if lowest and (major, minor) >= lowest and names and all(any(k in n for k in DATA_CENTER) for n in names):
        return _check("nvidia_driver", OK, detail + ": CUDA {}.{} runs in forward-compatibility mode on these "
                      "data-center GPUs".format(*CUDA_NEEDED))
    return _check("nvidia_driver", FAIL, detail + "; the GPU image needs CUDA {}.{}".format(*CUDA_NEEDED),
                  "install NVIDIA driver {} or later on the host (on data-center GPUs, R470.57+, R510.47+, R515.65+ or "
                  "R525.85+ also work)".format(DRIVER_NEEDED))


def gpu_check(gpu):
    name = "gpu{}".format(gpu["index"])
    detail = "{}, {} GB, compute capability {}.{}".format(gpu["name"], gpu["memory_gb"], *gpu["capability"])
    if gpu["capability"] < MIN_CAPABILITY:
        return _check(name, FAIL, detail + ": NVIDIA's TF1 image needs 6.0 (Pascal) or newer",
                      "rent a newer GPU: T4, A10G, L4, A100 (docs/cloud.md)")
    if gpu["capability"] > VALIDATED_CAPABILITY:
        return _check(name, WARN, detail + ": newer than NVIDIA validated its TensorFlow 1.15 for (Ampere)",
                      "it usually works; if training fails in CUDA kernels, use an A100, A10G or L4")
    return _check(name, OK, detail)


def tensorflow(expected_gpus):
    """Whether the engine's TensorFlow sees the GPUs, in a subprocess: importing TensorFlow can hang on a bad driver."""
    code = ("import json; from tensorflow.python.client import device_lib; import tensorflow as tf; "
            "print(json.dumps([tf.__version__, [d.physical_device_desc for d in device_lib.list_local_devices() "
            "if d.device_type == 'GPU']]))")
    try:
        result = subprocess.run([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                universal_newlines=True, timeout=TENSORFLOW_TIMEOUT,
                                env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    except subprocess.TimeoutExpired:
        return _check("tensorflow", FAIL, "TensorFlow did not start within {} s".format(TENSORFLOW_TIMEOUT),
                      "check the driver with `nvidia-smi`; restart the container")
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["exit code {}".format(result.returncode)])[-1]
        return _check("tensorflow", FAIL, "TensorFlow does not start: {}".format(last[:200]),
                      "rebuild the image; 'Illegal instruction' means a CPU without AVX")
    version, seen = json.loads(result.stdout.strip().splitlines()[-1])
    if not seen:
        if expected_gpus:
            return _check("tensorflow", FAIL, "TensorFlow {} sees no GPU although the driver shows {}".format(
                version, len(expected_gpus)), "use the GPU image (.devcontainer/gpu); a CUDA 10 TensorFlow cannot use "
                "Ampere or newer GPUs")
        return _check("tensorflow", OK, "TensorFlow {} sees no GPU: training uses the CPU".format(version))
    if len(seen) < len(expected_gpus):
        return _check("tensorflow", WARN, "TensorFlow {} sees {} of {} GPUs".format(version, len(seen), len(expected_gpus)),
                      "check CUDA_VISIBLE_DEVICES")
    return _check("tensorflow", OK, "TensorFlow {} sees {}".format(version, towers(len(seen))))


def towers(count):
    """What COUNT GPUs mean for training: both engines build one tower per visible GPU in one process (their
    train.py, get_tower_results), each on train_batch_size samples, and average the towers' gradients on the CPU."""
    if count == 1:
        return "1 GPU"
    return ("{0} GPUs: the engine trains one tower on each, in one process, each on train_batch_size samples, so a "
            "step takes {0} x train_batch_size; more machines do not train one model (docs/cloud.md, \"Several GPUs in "
            "one machine\")".format(count))


def shared_memory(has_gpu):
    try:
        stats = os.statvfs("/dev/shm")
    except OSError as error:
        return _check("shm", WARN, "no /dev/shm ({})".format(error), "")
    size, needed = stats.f_frsize * stats.f_blocks, SHM_NEEDED["gpu" if has_gpu else "cpu"]
    detail = "/dev/shm is {} MB".format(size >> 20)
    if size < needed:
        return _check("shm", WARN, detail + ", under the {} MB {}".format(needed >> 20, "NVIDIA advises for its images"
                      if has_gpu else "Docker gives by default"), "start the container with --shm-size=2g (the dev "
                      "containers do)")
    return _check("shm", OK, detail)


def data_volume(root=None):
    root = root or settings.DATA_ROOT
    found = storage.problem(root)
    if found:
        return _check("data", FAIL, *found)
    me = os.getuid()
    free = shutil.disk_usage(str(root)).free
    detail = "{} is writable by you (uid {}), {:.1f} GB free".format(root, me, free / 1e9)
    if free < FREE_FAIL:
        return _check("data", FAIL, detail, "free space or attach a larger disk: checkpoints and exports need room")
    if free < FREE_WARN:
        return _check("data", WARN, detail + ": a release-sized run keeps about 2 GB of checkpoints, a corpus "
                      "and its feature cache more", "attach a larger disk for real corpora")
    return _check("data", OK, detail)


def diagnose():
    checks = [engine(), cpu()]
    gpu_checks, found = gpus()
    checks += gpu_checks
    checks += [tensorflow(found), shared_memory(bool(found)), data_volume()]
    uses_gpu = bool(found) and all(c["verdict"] != FAIL for c in checks if c["check"] in ("nvidia_driver", "tensorflow"))
    device = "gpu" if uses_gpu else "cpu"
    summary = ("GPU: " + ", ".join("{} ({})".format(g["name"], g["index"]) for g in found)) if uses_gpu else "the CPU"
    return {"checks": checks, "training_device": device, "training_uses": summary,
            "verdicts": {v: sum(c["verdict"] == v for c in checks) for v in (OK, WARN, FAIL)}}


def print_report(report):
    for check in report["checks"]:
        print("{:<5} {:<14} {}".format(check["verdict"], check["check"], check["detail"]))
        if check["fix"] and check["verdict"] != OK:
            print("{:<20} fix: {}".format("", check["fix"]))
    print("training will use {}.".format(report["training_uses"]))
