"""Strict validation of devcontainer.json files.

The Dev Containers CLI accepts truncated JSON, wrong types and unknown keys
without a word, so we check configs ourselves: JSON with comments and trailing
commas only (parsed by json5), our schema (harness/devcontainer.schema.json),
`--mount`-style strings, and that the Dockerfile and build context exist.
"""
import json
import re
from functools import cache
from pathlib import Path

import json5
from jsonschema import Draft201909Validator

SCHEMA_PATH = Path(__file__).with_name("devcontainer.schema.json")
MOUNT_KEYS = {"type", "source", "src", "target", "destination", "dst", "readonly", "ro", "consistency",
              "bind-propagation", "volume-driver", "volume-opt", "volume-nocopy", "tmpfs-size", "tmpfs-mode"}
VOLUME_NAME = re.compile(r"^([a-zA-Z0-9][a-zA-Z0-9_.-]*|\$\{[^}]+\}[a-zA-Z0-9_.${}:-]*)$")
VARIABLE = re.compile(r"\$\{(localEnv|containerEnv|localWorkspaceFolder|localWorkspaceFolderBasename|"
                      r"containerWorkspaceFolder|containerWorkspaceFolderBasename|devcontainerId)(:[^}]*)?\}")


@cache
def _validator() -> Draft201909Validator:
    schema = json.loads(SCHEMA_PATH.read_text())
    Draft201909Validator.check_schema(schema)
    return Draft201909Validator(schema)


def parse(path: Path) -> dict:
    """JSONC as the spec allows it; anything else is a ValueError naming the file."""
    try:
        config = json5.loads(path.read_text())
    except ValueError as error:
        raise ValueError(f"{path}: not valid JSON with comments: {error}") from None
    if not isinstance(config, dict):
        raise ValueError(f"{path}: must hold a JSON object, not {type(config).__name__}")
    return config


def mount_errors(mount: str) -> list[str]:
    fields, errors = {}, []
    for part in mount.split(","):
        key, _, value = part.partition("=")
        if key not in MOUNT_KEYS:
            errors.append(f"unknown mount option '{key}' in {mount!r}")
        fields[key] = value
    kind = fields.get("type")
    target = fields.get("target") or fields.get("destination") or fields.get("dst")
    source = fields.get("source") or fields.get("src")
    if kind not in ("bind", "volume", "tmpfs"):
        errors.append(f"mount {mount!r} needs type=bind, volume or tmpfs")
    if not target or not (target.startswith("/") or target.startswith("${")):
        errors.append(f"mount {mount!r} needs an absolute target")
    if kind == "bind" and not (source and (source.startswith("/") or source.startswith("${"))):
        errors.append(f"bind mount {mount!r} needs an absolute source")
    if kind == "volume" and source and not VOLUME_NAME.match(source):
        errors.append(f"volume mount {mount!r} has an invalid volume name '{source}'")
    return errors


def _variable_errors(value, where: str) -> list[str]:
    errors = []
    if isinstance(value, str):
        for match in re.finditer(r"\$\{[^}]*\}", value):
            if not VARIABLE.fullmatch(match.group(0)):
                errors.append(f"{where}: unknown variable {match.group(0)}")
    elif isinstance(value, dict):
        for key, item in value.items():
            errors += _variable_errors(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            errors += _variable_errors(item, f"{where}[{index}]")
    return errors


def validate(path: Path) -> list[str]:
    """Every problem found in one devcontainer.json, as readable sentences; empty when it is valid."""
    path = Path(path)
    try:
        config = parse(path)
    except ValueError as error:
        return [str(error)]
    errors = [f"{path}: {'/'.join(map(str, e.absolute_path)) or '(top level)'}: {e.message}"
              for e in sorted(_validator().iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))]
    for mount in config.get("mounts", []):
        if isinstance(mount, str):
            errors += [f"{path}: mounts: {e}" for e in mount_errors(mount)]
    errors += [f"{path}: {e}" for e in _variable_errors(config, "config")]
    build = config.get("build")
    if isinstance(build, dict) and isinstance(build.get("dockerfile"), str):
        dockerfile = (path.parent / build["dockerfile"]).resolve()
        context = (path.parent / build.get("context", ".")).resolve()
        if not dockerfile.is_file():
            errors.append(f"{path}: build.dockerfile {build['dockerfile']} does not exist ({dockerfile})")
        if not context.is_dir():
            errors.append(f"{path}: build.context {build.get('context')} is not a folder ({context})")
    return errors
