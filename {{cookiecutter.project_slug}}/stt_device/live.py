"""python -m stt_device --serve [HOST:]PORT --model M: the model live, for a microphone in a browser.

One port serves the page (GET /: live/index.html, page.css, microphone.js and worklet.js, no framework, nothing from a CDN, so it
works offline on a device) and a WebSocket (/socket). Each WebSocket connection is one streaming session of
Model.stream(): binary frames of 16 kHz mono 16-bit little-endian PCM in; JSON out:
  {"type": "ready", "sample_rate": 16000, "frame_ms": 20}              once, when the session starts
  {"type": "partial", "text": "..."}                                   the text so far, at most every PARTIAL_S
  {"type": "final", "text": "...", "seconds": 3.2, "reason": "stop"}   an utterance's text
An empty binary frame ends an utterance ("stop"); so does a stretch of silence after speech ("silence"). The
session then starts a new utterance on the same connection. Anything else (a text frame, an odd number of bytes,
a frame over MAX_FRAME_BYTES, no frame for IDLE_S) closes the connection with a close code and a reason that says
what to send instead; no other session notices.

The `websockets` package (one wheel of about 180 kB, no dependencies, cp311 wheels for x86_64 and aarch64): it
serves the handshake and the two files from the same port, pings dead clients away, and caps a frame's size, which
a hand-written server would have to get right itself. The model is shared: one worker thread runs every session's
model calls in turn (the interpreter is not thread-safe; each stream carries its own LSTM state), so the event loop
stays free to take frames while a window is computed. Audio is never written anywhere.

`python -m stt_device --connect URL FILE...` is the page without a microphone: it speaks files into a running server
(each an utterance, in real time unless --pace says otherwise) and prints what the page would show, to check a
server on a device from another machine.
"""
import asyncio
import json
import logging
import math
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from pathlib import Path

import numpy as np

from .errors import UserError

PAGE = Path(__file__).with_name("live")
FILES = {"/": ("index.html", "text/html; charset=utf-8"), "/index.html": ("index.html", "text/html; charset=utf-8"),
         "/worklet.js": ("worklet.js", "text/javascript; charset=utf-8"),
         "/page.css": ("page.css", "text/css; charset=utf-8"),
         "/microphone.js": ("microphone.js", "text/javascript; charset=utf-8")}
FRAME_MS = 20
PARTIAL_S = 0.5                 # at most one partial transcript per half second
MAX_FRAME_BYTES = 64 * 1024     # 2 s of audio in one frame; the page sends 640-byte frames
IDLE_S = 60.0                   # a connection that sends nothing for this long is closed
SILENCE_DBFS = -45.0            # a frame quieter than this is silence
DEFAULT_MAX_STREAMS = 4
# WebSocket close codes (RFC 6455 7.4.1) with the reason the client shows.
UNSUPPORTED, INVALID, POLICY, BUSY = 1003, 1007, 1008, 1013
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def parse_address(text):
    """'8080' -> ('127.0.0.1', 8080): localhost unless a host is given; 'HOST:PORT' as given."""
    host, _, port = text.rpartition(":")
    try:
        port = int(port)
    except ValueError:
        port = -1
    if not 0 < port < 65536:
        raise UserError("--serve takes [HOST:]PORT, such as 8080 (this machine only) or 0.0.0.0:8080 (every "
                        "interface), not '{}'.".format(text))
    return host or "127.0.0.1", port


class Sessions:
    """The model, its worker thread and the sessions' count; one per server."""

    def __init__(self, model, decoder, max_streams=DEFAULT_MAX_STREAMS, final_after_silence=1.0, idle_s=IDLE_S,
                 log=None):
        self.model, self.decoder, self.max_streams = model, decoder, max_streams
        self.final_after_silence, self.idle_s = final_after_silence, idle_s
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="model")
        self.active = 0
        self.log = log or (lambda text: print(text, file=sys.stderr, flush=True))

    async def call(self, function, *arguments):
        return await asyncio.get_running_loop().run_in_executor(self.worker, function, *arguments)

    async def handle(self, connection):
        if self.active >= self.max_streams:
            await connection.close(BUSY, "busy: this server takes {} stream{} at once (--max-streams) and all are live; "
                                         "try again later".format(self.max_streams, "" if self.max_streams == 1 else "s"))
            return
        self.active += 1
        try:
            await self._session(connection)
        finally:
            self.active -= 1

    async def _session(self, connection):
        from websockets.exceptions import ConnectionClosed
        try:
            await self._frames(connection)
        except ConnectionClosed:
            pass  # the client went away (closed the page, lost the network); its stream goes with it

    async def _frames(self, connection):
        rate = self.model.sample_rate
        await connection.send(json.dumps({"type": "ready", "sample_rate": rate, "frame_ms": FRAME_MS}))
        utterance = None
        while True:
            try:
                message = await asyncio.wait_for(connection.recv(), self.idle_s)
            except asyncio.TimeoutError:
                await connection.close(POLICY, "no audio for {:g} s; connect again to talk".format(self.idle_s))
                return
            if isinstance(message, str):
                await connection.close(UNSUPPORTED, "send audio as binary frames of 16-bit mono PCM at {} Hz; text "
                                                    "frames are not taken".format(rate))
                return
            if len(message) % 2:
                await connection.close(INVALID, "a frame of {} bytes: 16-bit samples take an even number".format(len(message)))
                return
            if utterance is None:
                utterance = Utterance(self, await self.call(self.model.stream, self.decoder))
            if not message:
                await utterance.finish(connection, "stop")
                utterance = None
                continue
            if await utterance.feed(connection, np.frombuffer(message, dtype="<i2")):
                utterance = None


class Utterance:
    """One utterance of a session: its stream, when it last sent a partial, and how long it has been silent."""

    def __init__(self, sessions, stream):
        self.sessions, self.stream = sessions, stream
        self.samples = self.heard = self.silent = 0
        self.last_partial, self.last_text = time.monotonic(), ""

    async def feed(self, connection, samples):
        """Feed SAMPLES; send a partial when one is due; True when silence after speech ended the utterance."""
        sessions, rate = self.sessions, self.sessions.model.sample_rate
        await sessions.call(self.stream.feed, samples)
        self.samples += len(samples)
        rms = float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))  # never empty: an empty frame is a stop
        if 20 * math.log10(max(rms, 1.0) / 32768.0) > SILENCE_DBFS:
            self.heard, self.silent = self.heard + len(samples), 0
        else:
            self.silent += len(samples)
        if self.heard and sessions.final_after_silence and self.silent >= sessions.final_after_silence * rate:
            await self.finish(connection, "silence")
            return True
        if time.monotonic() - self.last_partial >= PARTIAL_S:
            self.last_partial = time.monotonic()
            text = await sessions.call(self.stream.intermediate)
            if text != self.last_text:
                self.last_text = text
                await connection.send(json.dumps({"type": "partial", "text": text}))
        return False

    async def finish(self, connection, reason):
        text = await self.sessions.call(self.stream.finish)
        await connection.send(json.dumps({"type": "final", "text": text, "reason": reason,
                                          "seconds": round(self.samples / float(self.sessions.model.sample_rate), 3)}))


def page_response(connection, request):
    """The page's files (FILES); None lets /socket through to the WebSocket handshake."""
    from websockets.datastructures import Headers
    from websockets.http11 import Response
    path = request.path.split("?")[0]
    if path == "/socket":
        return None
    if path not in FILES:
        return connection.respond(HTTPStatus.NOT_FOUND, "not found: the page is at /\n")
    name, kind = FILES[path]
    body = (PAGE / name).read_bytes()
    return Response(HTTPStatus.OK, "OK", Headers([("Content-Type", kind), ("Content-Length", str(len(body))),
                                                   ("Cache-Control", "no-store")]), body)


class OneLine(logging.Formatter):
    """websockets' own log (a failed handshake, a frame over the limit) as one line, without its traceback."""

    def format(self, record):
        return "live: {}{}".format(record.getMessage(), " ({})".format(record.exc_info[1]) if record.exc_info else "")


async def _serve(sessions, host, port, ready):
    from websockets.asyncio.server import serve
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(OneLine())
    logger = logging.getLogger("websockets")
    logger.addHandler(handler)
    logger.propagate = False
    async with serve(sessions.handle, host, port, process_request=page_response, max_size=MAX_FRAME_BYTES,
                     ping_interval=20, ping_timeout=20, compression=None) as server:
        shown, reach = listening(host)
        ready("serving the model live at http://{}:{}/ (its socket: /socket), at most {} streams at once; the audio is "
              "transcribed and never stored. Listening on {}:{}, {}.".format(shown, port, sessions.max_streams, host, port,
                                                                            reach))
        await server.serve_forever()


def listening(host):
    """(the host for a URL to this machine, who can reach a server listening on HOST), for a server's start-up line."""
    everywhere = host in ("0.0.0.0", "::", "")
    return ("localhost" if everywhere or host in LOOPBACK else host,
            "this machine only" if host in LOOPBACK else
            "every interface: anyone who can reach this port can use the model" if everywhere else
            "anyone who can reach this address can use the model")


def _require_websockets(option):
    try:
        import websockets  # noqa: F401  (the live server's and client's one extra package)
    except ImportError:
        raise UserError("{} needs the websockets package (docker/requirements.device.txt): pip install websockets"
                        .format(option))


def serve(model, decoder, address, max_streams=DEFAULT_MAX_STREAMS, final_after_silence=1.0, idle_s=IDLE_S):
    _require_websockets("--serve")
    host, port = parse_address(address)
    sessions = Sessions(model, decoder, max_streams, final_after_silence, idle_s)
    try:
        asyncio.run(_serve(sessions, host, port, sessions.log))
    except OSError as error:  # asyncio words a bind error as a sentence of its own; the errno's is shorter
        why = os.strerror(error.errno).lower() if error.errno else str(error)
        raise UserError("cannot listen on {}:{} ({}); pick another port (or host) with --serve.".format(host, port, why))
    except KeyboardInterrupt:
        return 0
    return 0


async def _speak(url, paths, frame_ms, pace, show):
    """One connection to URL; each of PATHS spoken into it as one utterance; SHOW(result) for each."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed
    from .audio import convert, read_wav
    try:
        socket = await connect(url, max_size=None, open_timeout=10)
    except (OSError, asyncio.TimeoutError) as error:
        raise UserError("cannot reach {} ({}): is `--serve` running there, and is this its address?".format(
            url, getattr(error, "strerror", None) or error))
    except Exception as error:  # websockets' handshake errors: an HTTP answer that is not a WebSocket
        raise UserError("{} is not a live server's socket ({}); the server's socket is at /socket.".format(url, error))
    try:
        ready = json.loads(await socket.recv())
        rate = ready["sample_rate"]
        for path in paths:
            samples = convert(path, read_wav(path), rate, report=lambda text: print(text, file=sys.stderr))
            pcm = (np.clip(samples, -1.0, 32767 / 32768.0) * 32768.0).astype("<i2").tobytes()
            show(await _utterance(socket, path, pcm, rate, frame_ms, pace))
    except ConnectionClosed as closed:
        raise UserError("the server closed the connection: {}".format(
            "{} {}".format(closed.rcvd.code, closed.rcvd.reason) if closed.rcvd else "without a reason"))
    finally:
        await socket.close()


async def _utterance(socket, path, pcm, rate, frame_ms, pace):
    frame = rate * 2 * frame_ms // 1000
    partials, started = [], time.monotonic()

    async def receive():
        while True:
            message = json.loads(await socket.recv())
            if message["type"] == "partial":
                partials.append({"seconds": round(time.monotonic() - started, 3), "text": message["text"]})
            elif message["type"] == "final":
                return time.monotonic(), message

    receiving = asyncio.ensure_future(receive())
    for number, offset in enumerate(range(0, len(pcm), frame)):
        if pace:  # when the frame's audio would have been spoken
            await asyncio.sleep(max(0.0, started + number * frame_ms / 1000.0 / pace - time.monotonic()))
        await socket.send(pcm[offset:offset + frame])
        if receiving.done():
            break  # the server ended the utterance on silence; the rest of the file is not sent
    spoken = time.monotonic()
    if not receiving.done():
        await socket.send(b"")  # the end of the utterance, as the page's Stop sends it
    arrived, final = await receiving
    return {"file": str(path), "transcript": final["text"], "reason": final["reason"],
            "audio_seconds": round(len(pcm) / 2.0 / rate, 3), "partials": partials,
            "first_partial_s": partials[0]["seconds"] if partials else None,
            "final_latency_s": round(arrived - spoken, 3)}


def speak(url, paths, frame_ms=FRAME_MS, pace=1.0, as_json=False):
    """--connect: PATHS spoken into the live server at URL; its partial and final texts printed."""
    _require_websockets("--connect")

    def show(result):
        if as_json:
            print(json.dumps(result), flush=True)
        else:
            for partial in result["partials"]:
                print("... " + partial["text"], flush=True)
            print(result["transcript"], flush=True)
    asyncio.run(_speak(url, paths, frame_ms, pace, show))
    return 0
