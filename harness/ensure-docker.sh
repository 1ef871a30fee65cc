#!/usr/bin/env bash
# Start a Docker engine where none answers and this machine allows it (root, dockerd
# installed, no systemd to do it for us). Otherwise say what to do; never fail setup.
set -u
DOCKER=/usr/bin/docker
[ -x "$DOCKER" ] || DOCKER=$(command -v docker || true)
if [ -z "$DOCKER" ]; then
  echo "setup: no docker command; install Docker (Debian: apt-get install docker.io) to run the container stages." >&2
  exit 0
fi
if "$DOCKER" info >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v dockerd >/dev/null 2>&1; then
  echo "setup: no Docker daemon answers; start one (sudo systemctl start docker, or Docker Desktop)." >&2
  exit 0
fi
echo "setup: starting dockerd (log: /tmp/dockerd.log)" >&2
nohup dockerd >/tmp/dockerd.log 2>&1 &
for _ in $(seq 1 120); do
  "$DOCKER" info >/dev/null 2>&1 && { echo "setup: Docker engine is up" >&2; exit 0; }
  sleep 0.5
done
echo "setup: dockerd did not come up within 60 s; see /tmp/dockerd.log" >&2
exit 0
