#!/usr/bin/env bash
# The system packages `make demo` (argument: demo) and `make test` (argument: test) need on Debian or
# Ubuntu: one list, used by the Makefile and so by .ci/run. Installed when missing if this runs as root;
# otherwise it prints the one command to run as root and stops (exit 2). Elsewhere (no apt-get) it says
# what it could not check and goes on.
set -euo pipefail
what=${1:-demo}

# debootstrap: the offline stand-in base images; make, git, ca-certificates. A Python >= 3.11 with its venv
# module runs the harness (chosen below). docker.io (an engine, and a CLI with BuildKit built in) is added
# when harness/ensure-docker.sh, which decides what Docker the harness can use, says it is needed.
packages=(debootstrap make git ca-certificates)
if [ "$what" = test ]; then
  # The tests make the sample on the host (espeak-ng, sox; libsox-fmt-mp3 for the importer's mp3 tests),
  # run the arm64 device image emulated (qemu-user-static, binfmt-support) and the Dev Containers CLI (npm).
  packages+=(espeak-ng sox libsox-fmt-mp3 qemu-user-static binfmt-support npm)
fi

# A package counts as present when dpkg has it or, for those that are programs, when its program is on PATH
# (Node installed some other way, say).
declare -A program=([debootstrap]=debootstrap [make]=make [git]=git [espeak-ng]=espeak-ng
                    [sox]=sox [qemu-user-static]=qemu-aarch64-static [binfmt-support]=update-binfmts [npm]=npm)
installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed" \
    || { [ -n "${program[$1]:-}" ] && command -v "${program[$1]}" >/dev/null 2>&1; }
}
python_with_venv() {
  for python in python3.13 python3.12 python3.11 python3; do
    command -v "$python" >/dev/null 2>&1 \
      && "$python" -c 'import sys, ensurepip, venv; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
      && return 0
  done
  return 1
}

if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup: not Debian or Ubuntu, so the system packages are not checked; the harness needs Docker and" \
       "Python 3.11 or newer with venv." >&2
  exit 0
fi

missing=($(bash "$(dirname "$0")/ensure-docker.sh" --package))
for package in "${packages[@]}"; do
  installed "$package" || missing+=("$package")
done
if ! python_with_venv; then
  # Debian 12 and Ubuntu 24.04: python3 is new enough and lacks only venv; Ubuntu 22.04's is 3.10, and its
  # universe has python3.11.
  version=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || echo 0)
  if python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    missing+=("python3-venv" "python${version}-venv")
  else
    missing+=(python3.11 python3.11-venv)
  fi
fi

if [ "${#missing[@]}" -gt 0 ]; then
  command="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
  if [ "$(id -u)" != 0 ]; then
    echo "setup: these system packages are missing: ${missing[*]}; run as root, once: $command" >&2
    exit 2
  fi
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "$what" = test ]; then
  if [ "$(id -u)" = 0 ] && [ -d /proc/sys/fs/binfmt_misc ]; then
    # Without systemd nothing registers qemu's interpreter at boot; the arm64 tests need it.
    update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
  fi
  if ! command -v devcontainer >/dev/null 2>&1; then
    if [ "$(id -u)" != 0 ]; then
      echo "setup: the Dev Containers CLI is missing; run as root, once: npm install -g @devcontainers/cli" >&2
      exit 2
    fi
    npm install -g --silent @devcontainers/cli
  fi
fi
