"""Refuse answers that would produce a broken project, with one clear sentence."""
import re
import sys

# Boolean variables and __prompts__ arrived in cookiecutter 2.2: older releases bake a broken project (and
# 2.1 fails in the post-gen hook), so they stop here, in the interpreter that runs cookiecutter.
MINIMUM_COOKIECUTTER = (2, 2)
try:
    import cookiecutter
    VERSION = tuple(int(part) for part in re.findall(r"\d+", cookiecutter.__version__)[:2])
except (ImportError, AttributeError, ValueError):  # run by something other than cookiecutter: nothing to check
    VERSION = None
if VERSION is not None and VERSION < MINIMUM_COOKIECUTTER:
    sys.stderr.write("ERROR: this template needs cookiecutter 2.2 or newer, not {}; run it with the newest one without "
                     "installing anything: `pipx run cookiecutter <template>` (or `pip install -U cookiecutter`).\n".format(
                         cookiecutter.__version__))
    sys.exit(1)

SLUG = "{{ cookiecutter.project_slug }}"
# The slug names a folder, a Docker volume ("<slug>-data") and image tags.
SLUG_PATTERN = r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$"

if not re.match(SLUG_PATTERN, SLUG) or len(SLUG) > 50:
    sys.stderr.write(
        "ERROR: project_slug '{}' is not valid: use 1-50 lowercase letters, digits and single hyphens, "
        "starting with a letter (for example 'speech-to-text').\n".format(SLUG))
    sys.exit(1)

# playbook.toml holds the author as a TOML literal string ('''...'''), which cannot contain '''.
AUTHOR = {{ cookiecutter.author_name | jsonify }}
if "'''" in AUTHOR or "\n" in AUTHOR:
    sys.stderr.write("ERROR: author_name {!r} is not valid: it may not contain three single quotes in a row or a "
                     "line break.\n".format(AUTHOR))
    sys.exit(1)
