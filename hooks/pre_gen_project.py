"""Refuse answers that would produce a broken project, with one clear sentence."""
import re
import sys

SLUG = "{{ cookiecutter.project_slug }}"
# The slug names a folder, a Docker volume ("<slug>-data") and image tags.
SLUG_PATTERN = r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$"

if not re.match(SLUG_PATTERN, SLUG) or len(SLUG) > 50:
    sys.stderr.write(
        "ERROR: project_slug '{}' is not valid: use 1-50 lowercase letters, digits and single hyphens, "
        "starting with a letter (for example 'speech-to-text').\n".format(SLUG))
    sys.exit(1)
