"""Bake the template with the cookiecutter API."""
import json
from pathlib import Path

from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter

from .log import HarnessError

TEMPLATE = Path(__file__).resolve().parent.parent

# What `python -m harness run --variant NAME` bakes (template answers) before building
# that variant's container. "cpu": the default answers, built and run in the CPU container.
VARIANTS = {
    "cpu": {},
}
# The engines are the template's `engine` choices, the first its default. Template answers per engine: the
# default bakes as the template does; another gets a project (image, volumes) of its own name, such as
# speech-to-text-deepspeech, so both can be built and run side by side.
ENGINE_CHOICES = json.loads((TEMPLATE / "cookiecutter.json").read_text())["engine"]
DEFAULT_ENGINE = ENGINE_CHOICES[0]
ENGINES = {name: {} if name == DEFAULT_ENGINE else {"engine": name, "project_slug": "speech-to-text-" + name.split("-")[0]}
           for name in ENGINE_CHOICES}
# The engines that can write a float TFLite export (deepspeech-training 0.9.3 always quantises).
FLOAT_EXPORT_ENGINES = {"coqui-stt-training"}


def engine_named(name: str, engine: str) -> str:
    """NAME for the default engine, NAME-ENGINE for another: work folders and reports of both side by side."""
    return name if engine == DEFAULT_ENGINE else f"{name}-{engine}"


def template_defaults() -> dict:
    return {k: v for k, v in json.loads((TEMPLATE / "cookiecutter.json").read_text()).items() if not k.startswith("_")}


def bake(output_dir: Path, extra_context: dict | None = None, settings: dict | None = None) -> Path:
    """Generate a project into output_dir (replacing an earlier bake there) and return its folder.

    `settings` (such as {"random_seed": 7}) are added to the project's playbook.toml, where a
    user would put them: every run of that project starts from them. The images do not hold
    that file, so they build from cache whatever the settings.
    """
    output_dir.mkdir(parents=True, exist_ok=True)
    try:
        project = Path(cookiecutter(str(TEMPLATE), no_input=True, extra_context=extra_context or {},
                                    output_dir=str(output_dir), overwrite_if_exists=True, accept_hooks=True))
    except FailedHookException as error:
        raise HarnessError(f"the template refused these answers: {error}")
    if settings:
        with (project / "playbook.toml").open("a", encoding="utf-8") as toml:
            toml.write("# Added by the harness.\n" + "".join(f"{key} = {json.dumps(value)}\n" for key, value in settings.items()))
    return project
