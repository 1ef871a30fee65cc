"""Reading what the project's commands print: the JSON summary each starter command ends with."""
import json
import re

from .log import HarnessError

# Pretty-printed (from a line "{" to a line "}") or on one line; a one-line object never spans lines.
JSON_OBJECT = re.compile(r"^\{$.*?^\}$|^\{[^\n]*\}$", re.M | re.S)


def last_json_object(output: str) -> dict:
    """The JSON object a command printed last (pretty or on one line), after any other output; {} if none."""
    for candidate in reversed(JSON_OBJECT.findall(output)):
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return {}


def last_json(output: str) -> dict:
    """The JSON summary a starter command prints last, after the engine's own messages."""
    value = last_json_object(output)
    if not value:
        raise HarnessError(f"expected the command to end with a JSON summary; it printed:\n{output[-2000:]}")
    return value
