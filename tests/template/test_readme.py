"""The README is for the template's users: short, the cookiecutter command first, its links alive; `make test`
is what CI runs."""
import re

from harness.paths import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_the_readme_is_short_and_starts_with_the_cookiecutter_command():
    assert len(README.splitlines()) <= 200
    first_block = re.search(r"```sh\n(.*?)```", README, re.S).group(1)
    assert first_block.lstrip().startswith("pipx run cookiecutter gh:")


def test_the_readme_links_to_files_that_exist():
    links = re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", README)
    assert links and all((REPO / link).exists() for link in links), [link for link in links if not (REPO / link).exists()]


def test_ci_runs_the_readmes_test_command():
    assert "make test" in README and (REPO / ".ci" / "run").read_text().rstrip().endswith("make test")
