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

# playbook.toml holds the author as a TOML literal string ('''...'''), which cannot contain '''.
AUTHOR = {{ cookiecutter.author_name | jsonify }}
if "'''" in AUTHOR or "\n" in AUTHOR:
    sys.stderr.write("ERROR: author_name {!r} is not valid: it may not contain three single quotes in a row or a "
                     "line break.\n".format(AUTHOR))
    sys.exit(1)
