#!/usr/bin/env bash
# The Docker engine and CLI the harness uses, decided by what the harness needs, not by a name on PATH:
# an engine that answers `docker info`, through a CLI that builds with BuildKit. Debian's docker.io (20.10)
# has BuildKit built in; a CLI of 23 or newer needs the buildx plugin, which a static CLI (Docker's download,
# a CI runner's image) often lacks. So a `docker` on PATH can be a CLI without an engine, or a CLI the
# harness cannot build with: both are common, and both used to pass for "Docker is installed".
#
#   ensure-docker.sh            decide and act: as root on Debian or Ubuntu, install docker.io and start its
#                               engine where needed; otherwise one sentence with the one command to run (exit 2)
#   ensure-docker.sh --dry-run  print the decision and what acting would do; change nothing
#   ensure-docker.sh --package  print "docker.io" when that package is needed (harness/system-packages.sh
#                               installs it with the other system packages, in one apt-get)
#   ensure-docker.sh --cli      print the CLI the harness uses (harness/docker_cli.py asks this)
set -u
mode=${1:-act}
case "$mode" in act|--dry-run|--package|--cli) ;; *) echo "usage: $0 [--dry-run|--package|--cli]" >&2; exit 2 ;; esac

version_of() { "$1" --version 2>/dev/null | sed -n 's/^Docker version \([0-9][0-9.]*\).*/\1/p'; }
builds_with_buildkit() {
  local major
  major=$(version_of "$1"); major=${major%%.*}
  [ -n "$major" ] && { [ "$major" -lt 23 ] || "$1" buildx version >/dev/null 2>&1; }
}

# Candidates: Debian's package first (BuildKit built in, and the engine's own CLI), then each `docker` on PATH.
cli="" any=""
for candidate in /usr/bin/docker $(type -ap docker); do
  [ -x "$candidate" ] || continue
  [ -n "$any" ] || any=$candidate
  if [ -z "$cli" ] && builds_with_buildkit "$candidate"; then cli=$candidate; fi
done
if [ "$mode" = --cli ]; then
  [ -n "$cli" ] && { echo "$cli"; exit 0; }
  echo "no docker CLI that builds with BuildKit${any:+ ($any $(version_of "$any") has no buildx plugin)}; run make setup." >&2
  exit 2
fi

where=${DOCKER_HOST:-unix:///var/run/docker.sock}
answer() { [ -n "${cli:-$any}" ] && "${cli:-$any}" info --format '{{.ServerVersion}}' 2>&1; }
denied=""
server=$(answer) && engine_up=1 || engine_up=""
[ -n "$engine_up" ] || case "$server" in *"permission denied"*) denied=1 ;; esac
as_root=""; [ "$(id -u)" = 0 ] && as_root=1
apt=""; command -v apt-get >/dev/null 2>&1 && apt=1
systemd=""; [ -d /run/systemd/system ] && systemd=1
start_command() { if [ -n "$systemd" ]; then echo "systemctl start docker"; else echo "dockerd > /tmp/dockerd.log 2>&1 &"; fi; }
cli_words() { if [ -n "$cli" ]; then echo "$cli ($(version_of "$cli"))"; else echo "${any:-none}${any:+ ($(version_of "$any"), no buildx plugin, so no BuildKit)}"; fi; }

# The decision: need the package (no BuildKit CLI, or no engine and none installed), need a start, or nothing.
need_package="" need_start=""
[ -n "$cli" ] || need_package=1
if [ -z "$engine_up" ] && [ -z "$denied" ] && [ -z "${DOCKER_HOST:-}" ]; then
  command -v dockerd >/dev/null 2>&1 || need_package=1
  need_start=1
fi

if [ "$mode" = --package ]; then
  [ -n "$need_package" ] && [ -n "$apt" ] && echo docker.io
  exit 0
fi

say() { echo "setup: Docker: $*" >&2; }
refuse() { say "$*"; exit 2; }
join() { local IFS=";"; echo "$*" | sed 's/;/, /g'; }
if [ "$mode" = --dry-run ]; then
  plan=()
  [ -n "$need_package" ] && plan+=("install docker.io")
  [ -n "$need_start" ] && plan+=("start dockerd ($(start_command))")
  if [ -n "$engine_up" ] && [ -n "$cli" ]; then
    echo "use: the engine $server at $where through $(cli_words)"
  elif [ -n "$denied" ]; then
    echo "refuse: the engine at $where refuses this user (add it to the docker group)"
  elif [ -z "$engine_up" ] && [ -n "${DOCKER_HOST:-}" ]; then
    echo "refuse: DOCKER_HOST=$DOCKER_HOST but no engine answers there"
  elif [ -n "$as_root" ] && [ -n "$apt" ]; then
    echo "act: $(join "${plan[@]}"); CLI now: $(cli_words)"
  else
    echo "refuse: as $(id -un), cannot $(join "${plan[@]}"); CLI now: $(cli_words)"
  fi
  exit 0
fi

# Act.
if [ -n "$denied" ]; then
  refuse "the engine at $where refuses user $(id -un); run as root, once: usermod -aG docker $(id -un) (then log in again)."
fi
if [ -z "$engine_up" ] && [ -n "${DOCKER_HOST:-}" ]; then
  refuse "DOCKER_HOST=$DOCKER_HOST but no engine answers there; start that engine, or unset DOCKER_HOST to use this machine's."
fi
if [ -n "$need_package" ]; then
  if [ -z "$apt" ]; then
    refuse "no Docker engine with a BuildKit CLI here (CLI: $(cli_words)); install Docker Engine or Docker Desktop with buildx, start it, and run make setup again."
  fi
  if [ -z "$as_root" ]; then
    refuse "the harness needs Debian's docker.io (CLI: $(cli_words)$([ -z "$engine_up" ] && echo ', no engine answers')); run as root, once: apt-get update && apt-get install -y --no-install-recommends docker.io$([ -n "$need_start" ] && echo " && $(start_command)")"
  fi
  say "installing docker.io (CLI until now: $(cli_words))"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends docker.io >/dev/null; } \
    || refuse "apt-get could not install docker.io; see its output above."
  cli=/usr/bin/docker
fi
if [ -n "$need_start" ]; then
  if [ -z "$as_root" ]; then
    refuse "no engine answers at $where and dockerd is installed but not running; run as root: $(start_command)"
  fi
  if [ -n "$systemd" ]; then
    say "starting the engine: systemctl start docker"
    systemctl start docker || refuse "systemctl start docker failed; see: journalctl -u docker"
  else
    say "starting the engine: dockerd (log: /tmp/dockerd.log)"
    nohup dockerd >/tmp/dockerd.log 2>&1 &
  fi
  for _ in $(seq 1 120); do
    server=$("$cli" info --format '{{.ServerVersion}}' 2>/dev/null) && engine_up=1 && break
    sleep 0.5
  done
  [ -n "$engine_up" ] || refuse "dockerd did not answer within 60 s; see /tmp/dockerd.log"
fi
say "engine $server at $where, CLI $(cli_words) (BuildKit)"
