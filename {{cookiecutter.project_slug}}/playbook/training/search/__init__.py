"""Hyperparameter search (docs/hyperparameters.md): the plan (space.py), where the study lives (storage.py), the
trials and the workers (study.py), the report (report.py)."""
from .study import report, search  # noqa: F401
