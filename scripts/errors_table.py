"""Print the table of docs/errors.md: every error and refusal of motcua/errors.py's catalogue.

    .venv/bin/python scripts/errors_table.py

Lives outside the packages: it imports every module that defines an error class, which the ground
floor (`motcua/errors.py`) itself must never do (the import contracts in pyproject.toml).
"""
import central  # noqa: F401
import central.key_rotation  # noqa: F401
import central.uploads  # noqa: F401
import node  # noqa: F401
import node.enroll  # noqa: F401
import node.scanner  # noqa: F401
import sync.stickfs  # noqa: F401
from motcua.errors import catalogue_markdown

print(catalogue_markdown())
