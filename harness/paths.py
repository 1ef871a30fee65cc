"""Where the harness works: the repository, its scratch folder (.harness/, git-ignored) and its reports/."""
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / ".harness"
REPORTS = REPO / "reports"
