"""Every generated devcontainer.json is valid; the validator catches what the Dev Containers CLI lets through."""
import json

import pytest

from harness.bake import bake
from harness.devcontainer import parse, validate


@pytest.fixture(scope="module")
def full_bake(tmp_path_factory):
    return bake(tmp_path_factory.mktemp("bake"), {"gpu_devcontainer": True})


@pytest.mark.parametrize("variant", ["cpu", "gpu"])
def test_generated_configs_are_valid(full_bake, variant):
    assert validate(full_bake / ".devcontainer" / variant / "devcontainer.json") == []


def test_cpu_config_keeps_data_on_a_named_volume_as_the_non_root_user(full_bake):
    config = parse(full_bake / ".devcontainer/cpu/devcontainer.json")
    assert config["mounts"] == ["source=speech-to-text-data,target=/data,type=volume"]
    assert "--shm-size=2g" in config["runArgs"]
    assert config["remoteUser"] == "stt"
    assert "USER $USERNAME" in (full_bake / "docker/Dockerfile.cpu").read_text()


def test_gpu_config_asks_for_gpus(full_bake):
    config = parse(full_bake / ".devcontainer/gpu/devcontainer.json")
    assert config["runArgs"][:2] == ["--gpus", "all"]
    assert config["hostRequirements"]["gpu"] is True
    assert "FROM nvcr.io/nvidia/tensorflow:23.03-tf1-py3" in (full_bake / "docker/Dockerfile.gpu").read_text()


def _write(tmp_path, text):
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    path = tmp_path / "devcontainer.json"
    path.write_text(text)
    return path


GOOD = {"name": "x", "build": {"dockerfile": "Dockerfile"}, "mounts": ["source=v,target=/data,type=volume"]}


@pytest.mark.parametrize("text, expected", [
    ('{ "name": "bad", "build": { "dockerfile": "Dockerfile" ', "not valid JSON"),
    ('[1, 2, 3]', "must hold a JSON object"),
    (json.dumps({**GOOD, "runargs": ["--shm-size=1g"]}), "'runargs' was unexpected"),
    (json.dumps({**GOOD, "build": {"dockerfile": 42}}), "build/dockerfile: 42 is not of type 'string'"),
    (json.dumps({**GOOD, "runArgs": "notalist"}), "runArgs: 'notalist' is not of type 'array'"),
    (json.dumps({**GOOD, "hostRequirements": {"gpu": "yes"}}), "hostRequirements/gpu"),
    (json.dumps({**GOOD, "mounts": ["source=v,target=data,type=volume"]}), "needs an absolute target"),
    (json.dumps({**GOOD, "mounts": ["src=v,target=/data,type=volumes"]}), "needs type=bind, volume or tmpfs"),
    (json.dumps({**GOOD, "mounts": ["source=v,target=/data,type=volume,readonly,colour=red"]}), "unknown mount option 'colour'"),
    (json.dumps({**GOOD, "mounts": [{"type": "volume", "source": "v", "target": "/d", "readonly": True}]}), "mounts/0"),
    (json.dumps({**GOOD, "build": {"dockerfile": "Missing.Dockerfile"}}), "build.dockerfile Missing.Dockerfile does not exist"),
    (json.dumps({**GOOD, "image": "python:3.11"}), "(top level)"),
    (json.dumps({**GOOD, "containerEnv": {"A": "${localenv:HOME}"}}), "unknown variable ${localenv:HOME}"),
])
def test_validator_rejects(tmp_path, text, expected):
    errors = validate(_write(tmp_path, text))
    assert errors, "expected a validation error"
    assert any(expected in error for error in errors), errors


def test_validator_accepts_comments_and_trailing_commas(tmp_path):
    text = '// a comment\n{ "name": "x", /* block */ "build": { "dockerfile": "Dockerfile", }, "runArgs": ["--shm-size=1g",], }'
    assert validate(_write(tmp_path, text)) == []


def test_this_repositorys_dev_container_is_valid():
    from harness.bake import TEMPLATE
    assert validate(TEMPLATE / ".devcontainer" / "devcontainer.json") == []
