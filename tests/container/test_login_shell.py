"""A login shell in the project image (`bash -l`, `su - stt`, SSH on a cloud VM) starts from /etc/profile's
PATH and no other variable; the image's /etc/profile.d/playbook.sh gives the engine's environment back, so
the settings read the same there as in a plain shell."""
import pytest
from testcontainers.core.container import DockerContainer

from harness.bake import bake
from harness.container import HARNESS_LABEL

SHELLS = {
    "plain": ["bash", "-c"],
    "login": ["bash", "-lc"],
    "su - stt": ["su", "-", "stt", "-c"],
}


@pytest.mark.container
@pytest.mark.parametrize("command", ["playbook config", "make -C /workspace config"])
def test_settings_read_the_same_in_login_shells(cpu_image, tmp_path, command):
    project = bake(tmp_path)
    box = (DockerContainer(cpu_image).with_command(["sleep", "infinity"])
           .with_volume_mapping(str(project), "/workspace", "ro").with_kwargs(labels={HARNESS_LABEL: "container"}))
    outputs = {}
    with box:
        for name, shell in SHELLS.items():
            user = "root" if name.startswith("su") else "stt"
            code, output = box.get_wrapped_container().exec_run(shell + [command], user=user)
            outputs[name] = output.decode()
            assert code == 0 and "Traceback" not in outputs[name], f"{name}: {outputs[name][-1500:]}"
            assert "n_hidden = 192" in outputs[name], outputs[name][-1500:]
        code, output = box.get_wrapped_container().exec_run(["su", "-", "stt", "-c", "command -v python; echo $PLAYBOOK_DATA"],
                                                           user="root")
        assert output.decode().split() == ["/opt/venv/bin/python", "/data"]
    settings = {name: output[output.index("epochs = "):] for name, output in outputs.items()}
    assert settings["login"] == settings["plain"] == settings["su - stt"]
