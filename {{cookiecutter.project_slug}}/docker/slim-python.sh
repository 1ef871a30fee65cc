#!/bin/sh
# Removes from installed Python packages what no command of this project runs, to keep the
# images small. One script for both images' Python folders:
#   sh slim-python.sh DIR...            (site-packages folders or whole venvs)
#   STRIP=aarch64-linux-gnu-strip sh slim-python.sh DIR    (a cross build's strip)
#
# What goes, and what it saved in the CPU image (coqui engine, measured 2026-11-26):
# - debug symbols of the packages' own extension modules (strip --strip-unneeded): 167 MB, most
#   of it TensorFlow's _pywrap_tensorflow_internal.so. Libraries that auditwheel grafted into
#   *.libs/ folders keep theirs: patchelf rewrote those files, and strip can corrupt them. So do
#   scipy's: bookworm's strip leaves 17 of the scipy 1.x modules deepspeech_training installs with
#   segments no longer page-aligned (unloadable; sklearn, which its resample augmentation imports,
#   needs them). docker/check-extensions.py, run after this script, stops a build that broke one.
# - the packages' own test suites (`tests` folders; tf.test lives in `test`): 61 MB.
# - C headers for compiling extensions against TensorFlow and numpy: 34 MB.
# - TensorFlow 1.15's contrib modules for Bigtable, Kinesis, Kafka and Ignite datasets and its fused
#   GPU convolution op: 40 MB. Neither engine uses them, and tf.contrib does not import them
#   (tf.contrib.cloud, which would load Bigtable's op library, is then left out, as TensorFlow
#   itself does where it cannot load).
# - from ai-edge-litert, all but its Interpreter API (the files in LITERT_INTERPRETER): the
#   converter, the compiled-model API, GPU and NPU accelerators and vendors' compiler plugins,
#   26 of its 46 MB on x86_64.
# - with DEVICE=1 (the device runtime's folders), numpy's f2py and distutils (it compiles nothing)
#   and its SIMD test module (numpy.core._simd): 7 MB.
# What it costs: a crash inside a C extension shows addresses, not function names (reinstall
# the wheel to debug one); pandas.test() and friends have no tests to run; in the images,
# ai_edge_litert offers its Interpreter only (pip install ai-edge-litert elsewhere for the rest).
set -eu
STRIP=${STRIP:-strip}
LITERT_INTERPRETER=" __init__.py interpreter.py metrics_interface.py metrics_portable.py \
_pywrap_litert_interpreter_wrapper.so libpywrap_litert_common.so libLiteRt.so "
for dir in "$@"; do
    find "$dir" -type d -name ai_edge_litert | while read -r litert; do
        for entry in "$litert"/*; do
            case "$LITERT_INTERPRETER" in
                *" ${entry##*/} "*) ;;
                *) rm -rf "$entry" ;;
            esac
        done
    done
    find "$dir" -depth -type d -name tests -exec rm -rf {} +
    for module in bigtable kinesis kafka ignite fused_conv; do
        find "$dir" -depth -type d -path "*/tensorflow_core/contrib/$module" -exec rm -rf {} +
    done
    if [ "${DEVICE:-0}" = 1 ]; then
        find "$dir" -depth -type d \( -path '*/numpy/f2py' -o -path '*/numpy/distutils' \) -exec rm -rf {} +
        find "$dir" -type f -path '*/numpy/core/_simd.*' -delete
    fi
    find "$dir" -depth -type d \( -path '*/tensorflow_core/include' -o -path '*/numpy/core/include' \) -exec rm -rf {} +
    find "$dir" -type f \( -name '*.so' -o -name '*.so.*' \) ! -path '*.libs/*' ! -path '*/scipy/*' \
        -exec "$STRIP" --strip-unneeded {} +
done
