#!/bin/sh
# `playbook COMMAND ...`: the project's starter commands (see README.md).
exec python -m playbook "$@"
