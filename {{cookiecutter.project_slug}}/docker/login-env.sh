#!/bin/sh
# Run at build time (both Dockerfiles): writes /etc/profile.d/playbook.sh, the image's ENV for login shells
# (`bash -l`, `su - stt`, SSH on a cloud VM), which start from /etc/profile's PATH and no other variable, so
# that `playbook` and `python -m playbook` find the engine's venv there too. A variable a session already
# has is kept: the dev container points PYTHONPATH at the workspace.
set -eu
out=${1:-/etc/profile.d/playbook.sh}
{
  echo "# Written by docker/login-env.sh at build time, from the image's ENV."
  echo "case \":\$PATH:\" in *\":${VIRTUAL_ENV}/bin:\"*) ;; *) export PATH=\"${PATH}:\$PATH\" ;; esac"
  env | grep -E '^(VIRTUAL_ENV|PLAYBOOK_[A-Z_]+|PYTHONPATH|TF_[A-Z_]+|LD_LIBRARY_PATH|CUDA_[A-Z_]+|NVIDIA_[A-Z_]+|LANG)=' \
    | sort | while IFS='=' read -r name value; do
        echo "export ${name}=\"\${${name}:-${value}}\""
      done
} > "$out"
chmod 644 "$out"
