"""Fetch Coqui's WebAssembly client (the npm package stt-wasm: the native client, TFLite 2.9, its CTC decoder and
KenLM, compiled with Emscripten) into a folder, checked against the registry's sha512 before anything is unpacked.
`playbook web-export` copies it beside a model into a page (docs/live.md, "Share it as a page").

    python3 fetch-web-client.py DEST

No npm in the image: the package is one tarball of three files and a package.json, so the standard library
fetches, checks and unpacks it. This file is the one place its pin lives. The CA bundle pip is given (PIP_CERT),
when set, is the one trusted here too, so that a build behind a TLS-inspecting proxy fetches as pip does.
"""
import base64
import hashlib
import io
import json
import os
import ssl
import sys
import tarfile
import urllib.request
from pathlib import Path

NAME, VERSION = "stt-wasm", "1.4.0"
TARBALL = "https://registry.npmjs.org/stt-wasm/-/stt-wasm-1.4.0.tgz"
# The registry's "integrity" for this version (npm view stt-wasm@1.4.0 dist.integrity).
INTEGRITY = "sha512-fZWTSoM8QCWjP+vEHDSbTkCADafAfBLvZbHNJqr+SzWD4h449xbJ0mrPL6AuVzGe38twIf86PdzwXnlWtxFqHQ=="
FILES = ("stt_wasm.js", "stt_wasm.wasm", "stt_wasm.worker.js")
SOURCE = "https://github.com/coqui-ai/STT/tree/v1.4.0/native_client/wasm"


def main(destination):
    context = ssl.create_default_context(cafile=os.environ.get("PIP_CERT") or None)
    with urllib.request.urlopen(TARBALL, context=context, timeout=120) as response:
        body = response.read()
    digest = "sha512-" + base64.b64encode(hashlib.sha512(body).digest()).decode()
    if digest != INTEGRITY:
        sys.exit("error: {} has {}, not the pinned {}: refusing it.".format(TARBALL, digest, INTEGRITY))
    out = Path(destination)
    out.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(body), mode="r:gz") as archive:
        package = json.load(archive.extractfile("package/package.json"))
        for name in FILES:
            (out / name).write_bytes(archive.extractfile("package/dist/" + name).read())
    if (package["name"], package["version"]) != (NAME, VERSION):
        sys.exit("error: the tarball holds {name} {version}, not {0} {1}.".format(NAME, VERSION, **package))
    (out / "package.json").write_text(json.dumps({
        "name": NAME, "version": VERSION, "license": package["license"], "tarball": TARBALL, "integrity": INTEGRITY,
        "source": SOURCE, "files": {name: (out / name).stat().st_size for name in FILES}}, indent=2) + "\n")
    print("{} {} ({}), {} bytes, checked: {}".format(NAME, VERSION, package["license"], len(body), out))


if __name__ == "__main__":
    main(sys.argv[1])
