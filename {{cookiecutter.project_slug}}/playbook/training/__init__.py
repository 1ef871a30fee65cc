"""Training runs, driven through the installed training engine (playbook/engines).

  runs        the run store: folders, run.json, checkpoints, staging, history
  process     one engine invocation, its epochs and its record
  train       train, resume, finetune, transfer
  evaluation  evaluate a checkpoint, with or without a scorer
  imports     a released checkpoint as a read-only source run
  plots       loss curves
  search      an Optuna search over a few settings, each trial a run
"""
from .. import settings
from ..errors import UserError
from .evaluation import check_scorer, evaluate
from .imports import import_checkpoint
from .runs import labels, list_checkpoints, list_runs, load_run, summary
from .train import check_compatible, finetune, resume, train, transfer

__all__ = ["settings", "UserError", "check_scorer", "evaluate", "import_checkpoint",
           "labels", "list_checkpoints", "list_runs", "load_run", "summary", "check_compatible", "finetune", "resume", "train",
           "transfer"]
