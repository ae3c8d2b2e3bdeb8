"""`make check-security`: the suites that hold the product's security promises, one line each.

Runs each suite with pytest (its own process, its JUnit report under out/security/) and prints, per suite: cases,
failures, and for the fault suites the users lost and the users who got two codes, as the suites themselves counted
them (their `faults ...` summary lines). Exits non-zero when any suite fails.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "out" / "security"


@dataclass(frozen=True)
class Suite:
    name: str
    args: tuple[str, ...]


SUITES = (
    Suite("cdk-nag and cfn-lint, both variants", ("tests/infra/test_both_variants.py", "-k", "nag or cfn_lint")),
    Suite("IAM: every permission statement", ("tests/infra/test_new_pool.py", "tests/infra/test_existing_pool.py")),
    Suite(
        "who may reset whom: the bus policy, the storm cap",
        ("tests/infra/test_bus_policy.py", "tests/unit/reset_password/test_reset_cap.py"),
    ),
    Suite("exactly once under faults", ("tests/faults",)),
    Suite("any input: never an undocumented exception", ("tests/unit/reset_password/test_input_properties.py",)),
    Suite("no personal data in logs or metrics", ("tests/unit/reset_password/test_log_privacy.py",)),
)
_FAULT_LINE = re.compile(r"^faults \S+: .*")
_COUNT = re.compile(r"\b(lost|duplicated)=(\d+)")


def run(suite: Suite) -> tuple[str, bool]:
    report = OUT / (re.sub(r"\W+", "-", suite.name).strip("-") + ".xml")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}", *suite.args]
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603
    # The report pytest just wrote, not untrusted input.
    suites = ElementTree.parse(report).getroot().iter("testsuite") if report.exists() else iter(())  # noqa: S314
    cases = failures = 0
    for element in suites:
        cases += int(element.get("tests", 0))
        failures += int(element.get("failures", 0)) + int(element.get("errors", 0))
    counts = {"lost": 0, "duplicated": 0}
    fault_lines = [line for line in completed.stdout.splitlines() if _FAULT_LINE.match(line)]
    for line in fault_lines:
        for name, value in _COUNT.findall(line):
            counts[name] += int(value)
    extra = f", lost {counts['lost']}, duplicated {counts['duplicated']}" if fault_lines else ""
    ok = completed.returncode == 0
    return f"{'PASS' if ok else 'FAIL'}  {suite.name}: cases {cases}, failures {failures}{extra}", ok


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    results = [run(suite) for suite in SUITES]
    for line, _ in results:
        print(line)
    return 0 if all(ok for _, ok in results) else 1


if __name__ == "__main__":
    sys.exit(main())
