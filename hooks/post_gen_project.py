"""Remove what the answers did not ask for."""
import shutil
from pathlib import Path

if not {{ cookiecutter.gpu_devcontainer }}:
    shutil.rmtree(Path(".devcontainer") / "gpu")
    Path("docker", "Dockerfile.gpu").unlink()
    Path("docker", "requirements.gpu.txt").unlink()
if "{{ cookiecutter.engine }}" != "deepspeech-training":
    # Only DeepSpeech 0.9.3 is built from a source archive that may have to be supplied by hand.
    shutil.rmtree(Path("docker") / "engines")
