"""Training runs, driven through the installed training engine (playbook/engines).

  runs        the run store: folders, run.json, checkpoints, staging, history
  process     one engine invocation, its epochs and its record
  train       train, resume, finetune, transfer
  evaluation  evaluate a checkpoint; tune a scorer for it
  export      TFLite export with a model card
  imports     a released checkpoint as a read-only source run
  plots       loss curves
"""
from .. import settings
from ..errors import UserError
from .evaluation import check_scorer, evaluate, tune_scorer
from .export import export, latest_export
from .imports import import_checkpoint
from .runs import labels, list_checkpoints, list_runs, load_run, summary
from .train import check_compatible, finetune, resume, train, transfer

__all__ = ["settings", "UserError", "check_scorer", "evaluate", "tune_scorer", "export", "latest_export", "import_checkpoint",
           "labels", "list_checkpoints", "list_runs", "load_run", "summary", "check_compatible", "finetune", "resume", "train",
           "transfer"]
