"""Remove what the answers did not ask for."""
import shutil
from pathlib import Path

if not {{ cookiecutter.gpu_devcontainer }}:
    shutil.rmtree(Path(".devcontainer") / "gpu")
    Path("docker", "Dockerfile.gpu").unlink()
    Path("docker", "requirements.gpu.txt").unlink()
