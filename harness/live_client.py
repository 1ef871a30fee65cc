"""Bad input to the device runtime's live server (stt_device/live.py), as a broken or hostile client sends it; good
input is the runtime's own client (`python -m stt_device --connect URL FILE...`). Runs where the server's packages
are (the device image's python3 with websockets), beside the server; prints one JSON line per case.

    live_client.py URL --bad KIND...   text, odd (an odd number of bytes), huge (1 MiB in one frame), idle (sends
                                       nothing), busy (keeps connecting until refused): the close code and reason
    live_client.py URL --get PATH...   the HTTP status, size and type of what the server answers at PATH
    live_client.py URL --say --bad KIND  the close as a client shows it: `error: the server closed the connection:
                                       CODE REASON` (exit 2), the line the fault matrix checks

Used by the demo's live stage (harness/endtoend.py) and the fault matrix's socket cases (harness/fault_cases.py).
Standard library and websockets only."""
import argparse
import asyncio
import json
import sys
import urllib.error
import urllib.request

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

PAYLOADS = {"text": "hello", "odd": b"\0" * 641, "huge": b"\0" * (1 << 20), "idle": None}


async def bad(url, kind):
    """Send KIND of bad input; the close code and reason the server answered with."""
    sockets = []
    try:
        while len(sockets) < 64:
            socket = await connect(url, max_size=None)
            sockets.append(socket)
            try:
                json.loads(await asyncio.wait_for(socket.recv(), 10))  # ready
                if kind == "busy":
                    continue  # keep it open and connect again, until the server refuses one
                if PAYLOADS[kind] is not None:
                    await socket.send(PAYLOADS[kind])
                await asyncio.wait_for(socket.recv(), 120)
                return {"bad": kind, "closed": False}
            except ConnectionClosed as closed:
                return {"bad": kind, "close_code": closed.rcvd.code if closed.rcvd else None,
                        "close_reason": closed.rcvd.reason if closed.rcvd else None, "accepted_before": len(sockets) - 1}
        return {"bad": kind, "closed": False}
    finally:
        for socket in sockets:
            await socket.close()


def get(url, path):
    base = url.replace("ws://", "http://").rsplit("/", 1)[0]
    try:
        with urllib.request.urlopen(base + path, timeout=10) as response:
            return {"get": path, "status": response.status, "bytes": len(response.read()),
                    "type": response.headers.get("Content-Type")}
    except urllib.error.HTTPError as error:
        return {"get": path, "status": error.code}


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--bad", nargs="+", choices=sorted(PAYLOADS) + ["busy"], default=[])
    parser.add_argument("--get", nargs="+", default=[])
    parser.add_argument("--say", action="store_true", help="each close as one `error:` line; exit 2 once closed")
    args = parser.parse_args()
    for path in args.get:
        print(json.dumps(get(args.url, path)), flush=True)
    for kind in args.bad:
        case = await bad(args.url, kind)
        if not args.say:
            print(json.dumps(case), flush=True)
        elif "close_code" in case:
            print("error: the server closed the connection: {} {}".format(case["close_code"], case["close_reason"]))
            sys.exit(2)
        else:
            sys.exit("the server did not close the connection after {} input".format(kind))


if __name__ == "__main__":
    asyncio.run(main())
