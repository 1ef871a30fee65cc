"""Baking: every option combination renders completely, hooks refuse bad answers clearly."""
import re
import subprocess
import sys

import pytest
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter

from harness.bake import ENGINE_CHOICES, TEMPLATE, bake, template_defaults

COMBINATIONS = [
    {"engine": "coqui-stt-training", "gpu_devcontainer": True},
    {"engine": "coqui-stt-training", "gpu_devcontainer": False},
    {"engine": "deepspeech-training", "gpu_devcontainer": True},
    {"engine": "deepspeech-training", "gpu_devcontainer": False},
    {"project_name": "Zoë's Speech Lab", "engine": "deepspeech-training", "gpu_devcontainer": True},
    {"project_name": "Wake Word 2", "project_slug": "wake-word-2", "engine": "coqui-stt-training", "gpu_devcontainer": False},
]
GPU_ONLY = [".devcontainer/gpu/devcontainer.json", "docker/Dockerfile.gpu", "docker/requirements.gpu.txt"]
DEEPSPEECH_ONLY = ["docker/engines/README.md"]
UNRENDERED = re.compile(r"{{\s*cookiecutter|{%|cookiecutter\.")


def test_every_option_is_combined():
    options = [key for key, value in template_defaults().items() if isinstance(value, (bool, list))]
    assert options == ["engine", "gpu_devcontainer"], "a new choice option needs its combinations in COMBINATIONS"


@pytest.mark.parametrize("context", COMBINATIONS, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()))
def test_bake_renders_completely(tmp_path, context):
    project = bake(tmp_path, context)
    files = [p for p in project.rglob("*") if p.is_file()]
    assert files
    for path in files:
        if path.suffix == ".png":  # copied as binary, never rendered
            continue
        text = path.read_text(encoding="utf-8")
        assert not UNRENDERED.search(text), f"unrendered template syntax in {path.relative_to(project)}"
    for relative in GPU_ONLY:
        assert (project / relative).exists() == context["gpu_devcontainer"], relative
    for relative in DEEPSPEECH_ONLY:
        assert (project / relative).exists() == (context["engine"] == "deepspeech-training"), relative
    # Each image installs exactly the chosen engine.
    requirements = (project / "docker/requirements.cpu.txt").read_text(encoding="utf-8")
    assert ("coqui-stt-training==1.4.0" in requirements) == (context["engine"] == "coqui-stt-training")
    assert ("ds-ctcdecoder==0.9.3" in requirements) == (context["engine"] == "deepspeech-training")
    assert (project / ".devcontainer/cpu/devcontainer.json").is_file()
    assert (project / "docker/Dockerfile.cpu").is_file()


def test_special_characters_make_a_valid_slug(tmp_path):
    project = bake(tmp_path, {"project_name": "Zoë's Speech Lab"})
    assert project.name == "zoe-s-speech-lab"
    assert "Zoë's Speech Lab (CPU)" in (project / ".devcontainer/cpu/devcontainer.json").read_text(encoding="utf-8")


@pytest.mark.parametrize("slug", ["Bad Slug", "9lives", "under_score", "trailing-", "a" * 51])
def test_invalid_slug_is_refused(tmp_path, slug):
    with pytest.raises(FailedHookException):
        cookiecutter(str(TEMPLATE), no_input=True, output_dir=str(tmp_path), extra_context={"project_slug": slug})
    assert not any(tmp_path.iterdir()), "a refused bake must leave nothing behind"


def test_invalid_slug_message_is_one_clear_sentence(tmp_path):
    result = subprocess.run([sys.executable, "-m", "cookiecutter", str(TEMPLATE), "--no-input", "-o", str(tmp_path),
                             "project_slug=Bad Slug"], capture_output=True, text=True)
    assert result.returncode != 0
    assert "project_slug 'Bad Slug' is not valid: use 1-50 lowercase letters" in result.stderr
    assert "Traceback" not in result.stderr


def test_cookiecutter_cli_no_input_works(tmp_path):
    result = subprocess.run([sys.executable, "-m", "cookiecutter", str(TEMPLATE), "--no-input", "-o", str(tmp_path)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "speech-to-text" / "Makefile").is_file()


def test_author_and_slug_become_the_model_metadata_defaults(tmp_path, monkeypatch):
    import tomllib
    author = 'Ada "Q" O\'Neil \\ Labs'
    project = bake(tmp_path, {"author_name": author, "project_name": "Wake Word 2"})
    settings = tomllib.loads((project / "playbook.toml").read_text(encoding="utf-8"))
    assert settings == {"export_author_id": author, "export_model_name": "wake-word-2"}
    # The project's own config layer applies them to every new run.
    monkeypatch.syspath_prepend(str(project))
    for name in [m for m in sys.modules if m == "playbook" or m.startswith("playbook.")]:
        monkeypatch.delitem(sys.modules, name)
    from playbook import config
    resolved = config.resolve(overrides=["export_model_version=1.2.0"])
    assert (resolved["export_author_id"], resolved["export_model_name"], resolved["export_model_version"]) == \
        (author, "wake-word-2", "1.2.0")


def test_author_that_would_break_the_settings_file_is_refused(tmp_path):
    with pytest.raises(FailedHookException):
        cookiecutter(str(TEMPLATE), no_input=True, output_dir=str(tmp_path), extra_context={"author_name": "a'''b"})
    assert not any(tmp_path.iterdir())


def test_settings_given_to_bake_are_the_projects_defaults(tmp_path, template_playbook, monkeypatch):
    project = bake(tmp_path, settings={"random_seed": 7, "learning_rate": 0.001})
    monkeypatch.setenv("PLAYBOOK_PROJECT_CONFIG", str(project / "playbook.toml"))
    config = template_playbook("playbook.config").resolve()
    assert (config["random_seed"], config["learning_rate"], config["export_model_name"]) == (7, 0.001, project.name)


def test_a_cookiecutter_older_than_2_2_is_refused_in_one_sentence(tmp_path):
    """Boolean variables need cookiecutter 2.2; 2.1.1 would fail later, in the post-gen hook, with a NameError."""
    venv = tmp_path / "old-cookiecutter"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin/pip"), "install", "--quiet", "--disable-pip-version-check", "cookiecutter==2.1.1"],
                   check=True)
    result = subprocess.run([str(venv / "bin/cookiecutter"), str(TEMPLATE), "--no-input", "-o", str(tmp_path / "out")],
                            capture_output=True, text=True)
    assert result.returncode != 0
    assert "this template needs cookiecutter 2.2 or newer, not 2.1.1; run it with the newest one" in result.stderr
    assert "pipx run cookiecutter" in result.stderr and "NameError" not in result.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_the_projects_engines_are_the_templates_choices(tmp_path):
    """cookiecutter.json lists the engines a user may choose (the harness reads them there); the project knows each."""
    project = bake(tmp_path)
    listed = subprocess.run([sys.executable, "-c", "from playbook.engines import ENGINES; print(' '.join(ENGINES))"],
                            cwd=project, capture_output=True, text=True, check=True).stdout.split()
    assert listed == ENGINE_CHOICES
