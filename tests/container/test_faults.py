"""The fault matrix (harness/faults.py) in CI: every case injects its fault into a real container and passes
(one clear sentence, nothing made earlier lost or changed, the next command works)."""
import json

import pytest

from harness import faults
from harness.paths import REPO

MINIMUM_CASES = 24


@pytest.mark.container
def test_every_fault_gets_one_sentence_and_loses_nothing(docker_engine):
    report = faults.run()
    cases = report["cases"]
    failed = [f"{case['name']}: {case['message']}" for case in cases if not case["passed"]]
    assert not failed, "\n".join(failed)
    assert len(cases) >= MINIMUM_CASES, [case["name"] for case in cases]
    written = json.loads((REPO / "reports" / "faults.json").read_text())
    assert [case["name"] for case in written["cases"]] == [case["name"] for case in cases]


def test_a_traceback_or_a_second_error_line_fails_a_case():
    assert faults.check_output("error: /data/x.csv line 3: not UTF-8.\n", r"^error: /data/x\.csv") is None
    assert "traceback" in faults.check_output("Traceback (most recent call last):\n  File ...\nerror: x\n", "x")
    assert "one `error:` line" in faults.check_output("error: a\nerror: b\n", "a")
    assert "does not match" in faults.check_output("error: something else\n", r"^error: /data")


def test_a_changed_or_lost_file_fails_a_case():
    before = "aaa  /data/runs/base/checkpoints/train-1.index\nbbb  /data/datasets/sample/train.csv\n"
    assert faults.compare(before, before + "ccc  /data/exports/new\n") is None
    assert "changed: ['/data/runs/base/checkpoints/train-1.index']" in faults.compare(
        before, before.replace("aaa", "zzz"))
    assert "lost: ['/data/datasets/sample/train.csv']" in faults.compare(before, before.splitlines()[0])
