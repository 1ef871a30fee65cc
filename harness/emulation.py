"""Whether this machine can run another CPU architecture's containers (qemu-user via binfmt_misc)."""
import platform
from pathlib import Path

BINFMT = Path("/proc/sys/fs/binfmt_misc")
# Docker platform -> (the kernel's name for the machine, Debian's qemu-user binfmt entry)
PLATFORMS = {"linux/arm64": ("aarch64", "qemu-aarch64"), "linux/amd64": ("x86_64", "qemu-x86_64")}
HOW_TO_ENABLE = ("apt-get install qemu-user-static binfmt-support && update-binfmts --enable {entry} "
                 "(as root; again after every reboot where no systemd runs binfmt-support)")


def unavailable(docker_platform: str) -> str | None:
    """None if containers of docker_platform run here, natively or emulated; otherwise why not and what to do."""
    if docker_platform not in PLATFORMS:
        return f"the harness knows no emulation for {docker_platform}"
    machine, entry = PLATFORMS[docker_platform]
    if platform.machine() == machine:
        return None
    status = BINFMT / entry
    if not status.exists():
        return (f"{docker_platform} containers need qemu-user emulation, and binfmt_misc has no {entry} entry: "
                + HOW_TO_ENABLE.format(entry=entry))
    if status.read_text().splitlines()[0].strip() != "enabled":
        return f"the binfmt_misc entry {entry} is disabled: update-binfmts --enable {entry}"
    return None
