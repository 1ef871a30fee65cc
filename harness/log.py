import sys
import time

_START = time.monotonic()


class HarnessError(Exception):
    """A failure the person running the harness can act on; printed as one message, no traceback."""


def log(message: str) -> None:
    print(f"[harness {time.monotonic() - _START:7.1f}s] {message}", file=sys.stderr, flush=True)
