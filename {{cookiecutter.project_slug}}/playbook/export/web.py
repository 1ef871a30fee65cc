"""The model as a page that needs no server of ours: `playbook web-export` writes a static folder (the page, Coqui's
WebAssembly client, the model and its scorer) that transcribes on the visitor's machine; `playbook web-serve` serves
such a folder with the two headers the client needs (docs/live.md, "Share it as a page").

The server is the standard library's http.server with those headers added: any static host does the same job once
it sends them, which is the point of the page, so nothing more is worth a dependency.
"""
import functools
import json
import shutil
import sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from stt_device.decoding import DEFAULT_BEAM_WIDTH
from stt_device.live import PAGE as LIVE_PAGE, listening, parse_address

from .. import settings, storage
from ..errors import UserError

PAGE = Path(__file__).with_name("web_page")
# The client's threads need SharedArrayBuffer, which a browser gives only to a cross-origin isolated page.
ISOLATION_HEADERS = {"Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp"}
# A scorer is fetched whole and copied into the client's memory (a 32-bit WebAssembly heap, 2 GB at most here):
# past WARN_SCORER_BYTES the first load is slow on a phone; past MAX_SCORER_BYTES it does not load at all.
WARN_SCORER_BYTES = 50 * 10 ** 6
MAX_SCORER_BYTES = 400 * 10 ** 6


def _client():
    """The WebAssembly client in this image (docker/fetch-web-client.py put it there) and its package record."""
    folder = settings.WEB_CLIENT
    record = folder / "package.json"
    if not record.is_file():
        raise UserError("the WebAssembly client is not in {} (this image was built before `web-export` existed, or outside "
                        "docker/Dockerfile.cpu): rebuild the image, or set PLAYBOOK_WEB_CLIENT to a folder made by "
                        "docker/fetch-web-client.py.".format(folder))
    return folder, json.loads(record.read_text())


def _scorer(scorer, alpha, beta, hot_words):
    """(path, alpha, beta, warnings) for the scorer given by name or file, refused when a browser cannot hold it."""
    from ..scorer import package as packages
    from ..scorer.kenlm import resolve_scorer
    if scorer is None:
        if hot_words:
            raise UserError("--hot-words needs --scorer: hot words boost the language model's words.")
        return None, None, None, []
    path = resolve_scorer(scorer)
    size = path.stat().st_size
    if size > MAX_SCORER_BYTES:
        raise UserError("the scorer {} is {:.0f} MB, more than a browser page can hold ({:.0f} MB at most here): export without "
                        "--scorer, or build a smaller one (`playbook lm` with a lower --order or a pruned vocabulary)."
                        .format(path, size / 1e6, MAX_SCORER_BYTES / 1e6))
    warnings = ["the scorer is {:.0f} MB: each visitor downloads it on the first load".format(size / 1e6)] \
        if size > WARN_SCORER_BYTES else []
    package = packages.read_package(path)
    return path, package.alpha if alpha is None else alpha, package.beta if beta is None else beta, warnings


def export(run, model=None, out=None, scorer=None, beam_width=None, alpha=None, beta=None, hot_words=None):
    """A folder that transcribes RUN's newest export (or MODEL) in a browser, with SCORER if given; never over an
    existing one."""
    from stt_device.decoding import parse_hot_words
    from ..training import load_run
    from .tflite import latest_export
    load_run(run)
    model = Path(model) if model else latest_export(run)
    if not model.is_file():
        raise UserError("no model {}: give an output_graph.tflite (`playbook export` writes one).".format(model))
    client, package = _client()
    hot_words = parse_hot_words(hot_words)
    scorer_path, alpha, beta, warnings = _scorer(scorer, alpha, beta, hot_words)
    for warning in warnings:
        print("warning: " + warning, file=sys.stderr, flush=True)
    target = Path(out) if out else settings.WEB / run / (model.parent.name + ("-" + Path(str(scorer)).stem if scorer else ""))
    if target.exists():
        raise UserError("{} already exists; it is kept as it is: serve it with `playbook web-serve {}`, or give --out DIR."
                        .format(target, target))
    config = {"run": run, "model_name": model.parent.name, "model": "model.tflite",
              "scorer": "kenlm.scorer" if scorer_path else None, "beam_width": beam_width or DEFAULT_BEAM_WIDTH,
              "alpha": alpha, "beta": beta, "hot_words": hot_words,
              "client": {key: package[key] for key in ("name", "version", "license")}}
    with storage.building(target) as partial:
        for name in ("index.html", "page.js"):
            shutil.copy(str(PAGE / name), str(partial / name))
        for name in ("page.css", "microphone.js", "worklet.js"):
            shutil.copy(str(LIVE_PAGE / name), str(partial / name))  # the live page's own
        shutil.copytree(str(client), str(partial / "stt-wasm"))
        (partial / "stt-wasm" / "NOTICE.md").write_text(_notice(package))
        shutil.copy(str(model), str(partial / "model.tflite"))
        if scorer_path:
            shutil.copy(str(scorer_path), str(partial / "kenlm.scorer"))
        (partial / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    files = sorted(path for path in target.rglob("*") if path.is_file())
    return {"folder": str(target), "model": str(model), "scorer": str(scorer_path) if scorer_path else None,
            "beam_width": config["beam_width"], "alpha": alpha, "beta": beta, "client": config["client"],
            "files": len(files), "bytes": sum(path.stat().st_size for path in files),
            "serve": "playbook web-serve {}".format(target), "warnings": warnings}


def _notice(package):
    return ("# {name} {version}\n\nCoqui's STT native client compiled to WebAssembly: {license}. Its source: {source}.\n"
            "Fetched from {tarball} and checked against the registry's {integrity}.\n"
            "You may replace these three files with your own build of that source.\n").format(**package)


class IsolatedHandler(SimpleHTTPRequestHandler):
    """A folder's files with the cross-origin isolation headers, the WebAssembly type and no caching of the page."""
    extensions_map = dict(SimpleHTTPRequestHandler.extensions_map, **{".wasm": "application/wasm",
                                                                      ".js": "text/javascript", ".tflite": "application/octet-stream",
                                                                      ".scorer": "application/octet-stream"})

    def end_headers(self):
        for name, value in ISOLATION_HEADERS.items():
            self.send_header(name, value)
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def log_message(self, format, *args):  # one line per request is noise for a page of ten files
        pass


def serve(folder, address="8080"):
    """`playbook web-serve`: FOLDER at ADDRESS ([HOST:]PORT; a port alone is this machine only) until Ctrl-C."""
    folder = Path(folder)
    if not (folder / "config.json").is_file() or not (folder / "index.html").is_file():
        raise UserError("{} is not a folder `playbook web-export` wrote (no index.html and config.json there).".format(folder))
    host, port = parse_address(address)
    try:
        server = ThreadingHTTPServer((host, port), functools.partial(IsolatedHandler, directory=str(folder)))
    except OSError as error:
        raise UserError("cannot listen on {}:{} ({}); pick another port (or host) with --serve.".format(
            host, port, (error.strerror or str(error)).lower()))
    shown, reach = listening(host)
    print("serving the page {} at http://{}:{}/ with cross-origin isolation; listening on {}:{}, {}. The page transcribes "
          "in the visitor's browser: no audio reaches this server.".format(folder, shown, port, host, port, reach), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
