"""Make sure the base images a Dockerfile names exist locally.

Order: an image already in the local store, else `docker pull`, else a local
stand-in built under the same name (when we know how to make one). Stand-ins let
the harness run where no registry is reachable; the Dockerfiles keep naming the
real public images, so nothing changes for users.

Stand-ins we can make:
  debian:bookworm-slim       debootstrap --variant=minbase, cleaned, `docker import`
  arm64v8/debian:bookworm-slim
                             the same for arm64: debootstrap --foreign, its second
                             stage run under qemu, `FROM scratch` for linux/arm64
  python:3.7-slim-bookworm   the stand-in Debian plus the host's CPython 3.7 from
                             pyenv, copied to /usr/local as in the official image
"""
import fcntl
import glob
import os
import re
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

from . import docker_cli, emulation
from .log import HarnessError, log

STAND_IN_LABEL = "org.deepspeech-playbook.stand-in"
DEBIAN_MIRROR = os.environ.get("PLAYBOOK_DEBIAN_MIRROR", "http://deb.debian.org/debian")
HOST_CA_BUNDLE = Path(os.environ.get("PLAYBOOK_HOST_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt"))
STAND_IN_CA_BUNDLE = "/usr/local/share/playbook-host-ca-bundle.crt"
# What the official slim images leave out (debuerreotype's slimify), then and in later dpkg installs.
SLIM_EXCLUDES = ("/usr/share/doc/*", "/usr/share/info/*", "/usr/share/locale/*", "/usr/share/man/*", "/usr/share/groff/*",
                 "/usr/share/linda/*", "/usr/share/lintian/*")  # inside the Debian stand-in, and all built on it

# Runtime libraries CPython's extension modules link against (the official slim image's set).
PYTHON_RUNTIME_PACKAGES = "libssl3 libffi8 libsqlite3-0 zlib1g libbz2-1.0 liblzma5 libreadline8 libncursesw6 libuuid1 ca-certificates netbase tzdata"


def base_images(dockerfile: Path, build_args: dict | None = None) -> list[str]:
    """The external images a Dockerfile builds FROM (stage names excluded), with the global ARGs
    (their defaults, or build_args) substituted."""
    stages, images, args = set(), [], {}
    for line in dockerfile.read_text().splitlines():
        arg = re.match(r"^\s*ARG\s+(\w+)(?:=(\S*))?", line, re.I)
        if arg and not images:
            args[arg.group(1)] = (build_args or {}).get(arg.group(1), arg.group(2) or "")
        match = re.match(r"^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?", line, re.I)
        if match:
            image = re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m.group(1), m.group(0)), match.group(1))
            if image.lower() not in stages and image != "scratch" and image not in images:
                images.append(image)
            if match.group(2):
                stages.add(match.group(2).lower())
    return images


@contextmanager
def _only_one_maker(image: str):
    """One process at a time makes a given image available: the test suite runs two lanes side by side, and two
    debootstraps or imports of the same tag would race. A lock per image, so that a stand-in may ensure its own base."""
    path = Path(tempfile.gettempdir()) / f"deepspeech-playbook-base-{re.sub(r'[^A-Za-z0-9_.-]', '_', image)}.lock"
    with open(path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def ensure(image: str, rebuild: bool = False) -> str:
    """Return how the image was made available: 'local', 'pulled' or 'stand-in'. REBUILD: build the stand-in again."""
    with _only_one_maker(image):
        return _ensure(image, rebuild)


def _ensure(image: str, rebuild: bool) -> str:
    if rebuild:
        if image not in STAND_INS:
            raise HarnessError(f"the harness has no stand-in recipe for {image}; stand-ins: {', '.join(STAND_INS)}.")
        STAND_INS[image](image)
        return "stand-in"
    if docker_cli.image_exists(image):
        labels = docker_cli.docker("image", "inspect", "--format", "{{json .Config.Labels}}", image).stdout
        if STAND_IN_LABEL in labels:
            log(f"{image}: using the local STAND-IN built earlier (no registry was reachable then)")
            return "stand-in"
        return "local"
    log(f"{image}: not in the local image store; trying docker pull")
    pulled = docker_cli.docker("pull", image, check=False, timeout=600)
    if pulled.returncode == 0:
        return "pulled"
    reason = (pulled.stderr.strip().splitlines() or ["no output"])[-1]
    maker = STAND_INS.get(image)
    if maker is None:
        raise HarnessError(f"{image} cannot be pulled ({reason}) and the harness has no stand-in recipe for it; "
                           f"make it available with `docker pull {image}` on a connected machine, then `docker save`/`docker load`.")
    log(f"{image}: pull failed ({reason}); building a local STAND-IN under the same name")
    maker(image)
    return "stand-in"


def _require_root_tool(tool: str, package: str) -> str:
    path = shutil.which(tool) or (f"/usr/sbin/{tool}" if os.path.exists(f"/usr/sbin/{tool}") else None)
    if path is None:
        raise HarnessError(f"{tool} not found; it is needed to build offline stand-in images: apt-get install {package}")
    if os.geteuid() != 0:
        raise HarnessError(f"building a stand-in with {tool} needs root; run the harness as root or load the base images yourself.")
    return path


def _debootstrap(rootfs: Path, suite: str, arch: str | None) -> None:
    debootstrap = _require_root_tool("debootstrap", "debootstrap")
    foreign = arch is not None and arch != _dpkg_architecture()
    command = [debootstrap, "--variant=minbase", *([f"--arch={arch}", "--foreign"] if foreign else []), suite, str(rootfs), DEBIAN_MIRROR]
    log(f"{' '.join(command[1:-2])} (about a minute)")
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise HarnessError(f"debootstrap {suite} from {DEBIAN_MIRROR} failed: {result.stderr.strip()[-800:]}; "
                           f"set PLAYBOOK_DEBIAN_MIRROR to a reachable Debian mirror.")
    if foreign:
        # The second stage runs the target's own dpkg, under qemu-user through binfmt_misc.
        log(f"debootstrap second stage for {arch}, emulated (about a minute)")
        result = subprocess.run(["chroot", str(rootfs), "/debootstrap/debootstrap", "--second-stage"], capture_output=True, text=True)
        if result.returncode != 0:
            raise HarnessError(f"the {arch} debootstrap second stage failed: {result.stderr.strip()[-800:]}")


def _dpkg_architecture() -> str:
    return subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True).stdout.strip()


def _slim(rootfs: Path) -> None:
    for pattern in ("var/cache/apt/archives/*.deb", "var/cache/apt/*.bin", "var/lib/apt/lists/*", *SLIM_EXCLUDES):
        for path in glob.glob(str(rootfs / pattern.lstrip("/"))):
            shutil.rmtree(path) if os.path.isdir(path) and not os.path.islink(path) else os.remove(path)
    # Like the official image: apt keeps no package caches in image layers, and dpkg installs no
    # documentation, manuals or translations, in this image or any built on it.
    (rootfs / "etc/apt/apt.conf.d/docker-clean").write_text('Dir::Cache::pkgcache "";\nDir::Cache::srcpkgcache "";\n')
    (rootfs / "etc/dpkg/dpkg.cfg.d/docker").write_text("".join(f"path-exclude {pattern}\n" for pattern in SLIM_EXCLUDES)
                                                       + "path-include /usr/share/doc/*/copyright\n")


def _image_config(rootfs: Path, recipe: str) -> list[str]:
    changes = ["ENV LANG=C.UTF-8", 'CMD ["bash"]', f"LABEL {STAND_IN_LABEL}={recipe}"]
    if HOST_CA_BUNDLE.is_file():
        # Local stand-in only: this machine may reach PyPI through a proxy whose CA is in the host's bundle.
        shutil.copy(HOST_CA_BUNDLE, rootfs / STAND_IN_CA_BUNDLE.lstrip("/"))
        changes.append(f"ENV PIP_CERT={STAND_IN_CA_BUNDLE}")
    return changes


def debian_slim(image: str, suite: str = "bookworm") -> None:
    with tempfile.TemporaryDirectory(prefix="standin-rootfs-") as workdir:
        rootfs = Path(workdir) / "rootfs"
        _debootstrap(rootfs, suite, None)
        _slim(rootfs)
        changes = _image_config(rootfs, "debootstrap")
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        imported = subprocess.run([docker_cli.cli(), "import", *(arg for change in changes for arg in ("-c", change)), "-", image],
                                  stdin=tar.stdout, capture_output=True, text=True)
        tar.wait()
        if imported.returncode != 0:
            raise HarnessError(f"docker import of the {suite} rootfs failed: {imported.stderr.strip()}")
    log(f"{image}: stand-in ready ({docker_cli.image_size(image) / 1e6:.0f} MB)")


def debian_slim_for(arch: str, suite: str = "bookworm"):
    """A maker for another architecture's Debian (`docker import` would record the host's platform)."""
    def make(image: str) -> None:
        reason = emulation.unavailable(f"linux/{arch}")
        if reason:
            raise HarnessError(f"cannot build a stand-in for {image}: {reason}")
        with tempfile.TemporaryDirectory(prefix="standin-rootfs-") as workdir:
            rootfs = Path(workdir) / "rootfs"
            _debootstrap(rootfs, suite, arch)
            _slim(rootfs)
            changes = _image_config(rootfs, f"debootstrap-{arch}")
            context = Path(workdir) / "context"
            context.mkdir()
            subprocess.run(["tar", "-C", str(rootfs), "-cf", str(context / "rootfs.tar"), "."], check=True)
            (context / "Dockerfile").write_text("FROM scratch\nADD rootfs.tar /\n" + "\n".join(changes) + "\n")
            docker_cli.build(context, context / "Dockerfile", image, stream=False, platform=f"linux/{arch}")
        log(f"{image}: stand-in ready ({docker_cli.image_size(image) / 1e6:.0f} MB, linux/{arch})")
    return make


def pyenv_python(version: str) -> Path:
    for root in [os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")]:
        candidates = sorted(glob.glob(os.path.join(root, "versions", version + ".*")),
                            key=lambda p: [int(x) for x in re.findall(r"\d+", os.path.basename(p))])
        candidates = [c for c in candidates if os.path.exists(os.path.join(c, "bin", "python" + version))]
        if candidates:
            return Path(candidates[-1])
    raise HarnessError(f"no registry is reachable for the Python {version} base image and no CPython {version} was found under pyenv "
                       f"to build a stand-in; install one (`pyenv install {version}`) or `docker load` the real image.")


def _copy_python_prefix(prefix: Path, target: Path) -> None:
    shutil.copytree(prefix, target, symlinks=True,
                    ignore=shutil.ignore_patterns("test", "tests", "idle_test", "__pycache__", "*.pyc", "libpython*.a"))
    for pth in target.glob("lib/python*/site-packages/*.pth"):
        if pth.name not in ("distutils-precedence.pth",):
            pth.unlink()
    # Scripts and sysconfig data carry the old prefix; the copy lives at /usr/local.
    old, new = str(prefix).encode(), b"/usr/local"
    for path in target.rglob("*"):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            if old in data and b"\0" not in data[:8192]:
                path.write_bytes(data.replace(old, new))


def python_slim(image: str) -> None:
    version = re.match(r"python:(\d+\.\d+)", image).group(1)
    suite = image.rsplit("-", 1)[-1] if image.count("-") >= 2 else "bookworm"
    debian = f"debian:{suite}-slim"
    ensure(debian)
    prefix = pyenv_python(version)
    with tempfile.TemporaryDirectory(prefix="standin-python-") as context:
        context = Path(context)
        log(f"copying CPython from {prefix}")
        _copy_python_prefix(prefix, context / "python")
        (context / "Dockerfile").write_text(f"""FROM {debian}
ENV PATH=/usr/local/bin:$PATH LANG=C.UTF-8
RUN apt-get update && apt-get install -y --no-install-recommends {PYTHON_RUNTIME_PACKAGES} \\
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
COPY python/ /usr/local/
LABEL {STAND_IN_LABEL}="pyenv CPython {prefix.name}"
RUN ldconfig && python{version} -c 'import ssl, sqlite3, ctypes, lzma, bz2' && python{version} -m pip --version
CMD ["python3"]
""")
        docker_cli.build(context, context / "Dockerfile", image, stream=False)
    log(f"{image}: stand-in ready from CPython {prefix.name} ({docker_cli.image_size(image) / 1e6:.0f} MB)")


STAND_INS = {
    "debian:bookworm-slim": debian_slim,
    "arm64v8/debian:bookworm-slim": debian_slim_for("arm64"),
    "python:3.7-slim-bookworm": python_slim,
}
