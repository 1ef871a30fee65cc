"""What the generated project's docs and Makefile name is there, or is said to be the template's."""
import re

import pytest

from harness.bake import bake

# Paths and targets that exist in the template's repository, not in a generated project.
TEMPLATE_ONLY = re.compile(r"(?<![\w/])(harness/\w+\.py|bench/\w+\.py|tests/(?:\w+/)?test_\w+\.py|make bench-[\w-]+)")


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return bake(tmp_path_factory.mktemp("docs-bake"))


def test_template_only_files_are_named_as_the_templates(project):
    unclaimed = []
    for path in [project / "Makefile", project / "README.md", *sorted((project / "docs").glob("*.md"))]:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for match in TEMPLATE_ONLY.finditer(line):
                if "template" not in line[:match.start()]:
                    unclaimed.append(f"{path.relative_to(project)}:{number}: {match.group(0)}")
    assert not unclaimed, "named as if the project had them: " + "; ".join(unclaimed)
