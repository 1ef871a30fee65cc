# make demo   bake the default template, build its CPU container, train on the sample,
#             resume, export TFLite, transcribe, print the report (reports/demo.md)
# make test   the test suite (bakes, config validation, devcontainer up, end to end)
# make bench  bench/ttfhw (time from bake to first transcript, cold and warm), bench/scorer
#             (decode time per second of audio, with and without the scorer) and bench/inference
#             (real-time factor of the device runtime against the engine's TFLite paths), and
#             bench/augmentation (the sample trained without and with the light preset), and bench/import
#             (playbook import against sox alone on 2,000 mp3 clips), and bench/import_memory
#             (the importer's peak memory for 1,000 to 100,000 rows), and bench/sync (playbook sync
#             against rclone's S3 server on loopback: the sample and a release-sized checkpoint), and bench/live
#             (the live server's latency behind the voice and CPU per stream, two widths), and bench/web (the page
#             of `playbook web-export`: its weight, time to ready and real-time factor in headless Chromium), and
#             bench/search (trials per hour with 1 and 2 workers on one PostgreSQL study, the database's cost per
#             trial, the epochs pruning saves); not in `make bench`:
#             bench/model_spread (10 seeds, about 70 min: how much what the tests assert varies between models)
# Both first run `make setup`: the system packages they need on Debian or Ubuntu (installed as root,
# otherwise the one command to run as root: harness/system-packages.sh), .venv with Python 3.11+ and the
# harness, and a Docker engine started where none runs and the machine allows it.

VENV := .venv
STAMP := $(VENV)/.installed
# The newest Python >= 3.11 on PATH.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && echo $$p && break; done)

.PHONY: setup system-packages demo test bench clean
setup: $(STAMP)
	@bash harness/ensure-docker.sh

# `make test` needs more than `make demo` (the host-side sample, qemu, the Dev Containers CLI).
system-packages:
	@bash harness/system-packages.sh $(if $(filter test,$(MAKECMDGOALS)),test,demo)

$(STAMP): pyproject.toml | system-packages
	@test -n "$(PYTHON)" || { echo "error: the harness needs Python 3.11 or newer on PATH (apt-get install python3, or pyenv install 3.11)." >&2; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $@

demo: setup
	$(VENV)/bin/python -m harness run

# Two lanes side by side (tests/conftest.py: LANES): host tests first, then each lane's container work.
TEST_LANES ?= 2
test: setup
	$(VENV)/bin/python -m pytest -n $(TEST_LANES) --dist loadgroup --no-loadscope-reorder

# `make bench-NAME` runs bench/NAME.py (dashes for underscores: bench-import-memory); `make bench` the set below.
# Each prints a table and writes reports/bench-NAME.json (bench/README.md).
BENCHES := ttfhw scorer inference augmentation import import-memory sync live web search
bench: $(addprefix bench-,$(BENCHES))

bench-%: setup
	$(VENV)/bin/python bench/$(subst -,_,$*).py

clean:
	rm -rf .harness reports
