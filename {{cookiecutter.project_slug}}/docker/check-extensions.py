"""Run after slim-python.sh: every extension module and shared library under the given folders must still be a
loadable ELF file. `strip` from Debian's binutils can leave a file that was linked by an older toolchain with
segments that are no longer page-aligned ("ELF load command address/offset not page-aligned"): the file is then
broken, and only the first import that needs it finds out, inside a training's data-loading worker. The build
stops here instead, naming the files. A library that merely lacks a dependency when loaded alone (one
auditwheel grafted next to another) is fine: Python loads them in the right order.

    python check-extensions.py DIR...
"""
import ctypes
import os
import sys

broken = []
for folder in sys.argv[1:]:
    for root, _, files in os.walk(folder):
        if "tensorflow" in root:  # loading TensorFlow's libraries alone registers its protobufs twice and aborts
            continue
        for name in files:
            if name.endswith(".so") or ".so." in name:
                path = os.path.join(root, name)
                try:
                    ctypes.CDLL(path, mode=os.RTLD_LAZY)
                except OSError as error:
                    if "cannot open shared object file" not in str(error) and "undefined symbol" not in str(error):
                        broken.append("{}: {}".format(path, str(error).split(": ")[-1]))
if broken:
    sys.exit("error: {} shared libraries are broken after slimming (docker/slim-python.sh):\n{}".format(
        len(broken), "\n".join(broken)))
print("check-extensions: every shared library under {} loads".format(" ".join(sys.argv[1:])))
