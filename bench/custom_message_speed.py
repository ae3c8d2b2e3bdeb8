"""Cold start and warm rendering of the custom message trigger, beside a "usual way" baseline, in one run.

Each sample is a fresh Python process (bench/cold_start_child.py) that imports the handler, invokes it once
(cold = import + first invocation), then invokes it WARM_CALLS more times (warm p50/p99 per call). The two handlers
alternate, so machine load hits both alike. Budgets (issue 3): cold <= 150 ms as the min of the runs, warm p99
<= 0.5 ms. Usage: python bench/custom_message_speed.py [--runs 5] [--warm-calls 2000] [--strict]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "functions"), str(ROOT)]  # the contracts package as the functions import it, and infra

from contracts import environment as env  # noqa: E402 - after the path is set
from contracts.cognito import DEVELOPER  # noqa: E402
from contracts.telemetry import CUSTOM_MESSAGE_SERVICE, NAMESPACE  # noqa: E402

CHILD = ROOT / "bench" / "cold_start_child.py"
EXAMPLE_PACK = ROOT / "examples" / "message-pack"
EVENT = ROOT / "tests" / "events" / "custom_message" / "forgot_password_admin_reset.json"
CONTENDERS = {
    "custom_message": "custom_message.handler",
    "baseline (Powertools + Jinja2, usual way)": "baseline_custom_message",
}
# Cold start (import and first message, fresh process, median of the runs), and against the baseline's median.
COLD_BUDGET_MS = 60.0
COLD_RATIO_BUDGET = 0.25
WARM_P99_BUDGET_MS = 0.5


def _environment(bundle: Path) -> dict[str, str]:
    """The trigger runs from `bundle` (its code as Lambda gets it, templates compiled by the build); the baseline
    from functions/, compiling the same templates the usual way."""
    environment = dict(os.environ)
    environment.update(
        {
            "PYTHONPATH": os.pathsep.join([str(bundle), str(ROOT / "functions"), str(ROOT / "bench")]),
            env.ALLOWED_LINK_HOSTS: "reset.example.com",
            # The heaviest path: a pool on its own SES identity, so the trigger renders the e-mail as well as the SMS.
            env.EMAIL_SENDING_ACCOUNT: DEVELOPER,
            env.POWERTOOLS_SERVICE_NAME: CUSTOM_MESSAGE_SERVICE,
            env.POWERTOOLS_METRICS_NAMESPACE: NAMESPACE,
            # What Lambda sets, so the baseline's Tracer is the real one (an unsampled trace: nothing is sent).
            "AWS_LAMBDA_FUNCTION_NAME": "custom-message-bench",
            "LAMBDA_TASK_ROOT": str(ROOT / "functions"),
            "_X_AMZN_TRACE_ID": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0",
            "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR",
            "AWS_REGION": "eu-west-1",
            "AWS_DEFAULT_REGION": "eu-west-1",
        }
    )
    return environment


def _sample(module: str, warm_calls: int, bundle: Path) -> dict[str, float]:
    completed = subprocess.run(  # noqa: S603 - our own interpreter and script, fixed arguments
        [sys.executable, str(CHILD), module, str(EVENT), str(warm_calls)],
        capture_output=True,
        text=True,
        env=_environment(bundle),
        cwd=ROOT,
        check=False,
    )
    if completed.returncode != 0:
        raise SystemExit(f"{module} failed:\n{completed.stderr}")
    return dict(json.loads(completed.stdout.strip().splitlines()[-1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warm-calls", type=int, default=2000)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a budget is missed")
    arguments = parser.parse_args()

    samples: dict[str, list[dict[str, float]]] = {name: [] for name in CONTENDERS}
    with tempfile.TemporaryDirectory(prefix="custom-message-bundle-") as bundle:
        os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")  # as the Makefile sets it
        from infra.bundling import assemble_code
        from infra.custom_message import trigger_source

        # Every shipped language and the example pack over them: cold start must not grow with what the pack holds.
        assemble_code(trigger_source(EXAMPLE_PACK), Path(bundle))
        for _ in range(arguments.runs):
            for name, module in CONTENDERS.items():
                samples[name].append(_sample(module, arguments.warm_calls, Path(bundle)))

    def figure(name: str, key: str, how: str) -> float:
        values = [sample[key] for sample in samples[name]]
        return min(values) if how == "min" else statistics.median(values)

    ours, baseline = list(CONTENDERS)
    print(f"custom message trigger, {arguments.runs} fresh processes each, {arguments.warm_calls} warm calls each")
    print(f"python {sys.version.split()[0]}, event {EVENT.relative_to(ROOT)}")
    print()
    header = f"{'':44} {'import':>8} {'1st call':>9} {'cold min':>9} {'cold med':>9} {'warm p50':>9} {'warm p99':>9}"
    print(header)
    for name in CONTENDERS:
        print(
            f"{name:44} {figure(name, 'import_ms', 'median'):8.1f} {figure(name, 'first_invocation_ms', 'median'):9.1f}"
            f" {figure(name, 'cold_ms', 'min'):9.1f} {figure(name, 'cold_ms', 'median'):9.1f}"
            f" {figure(name, 'warm_p50_ms', 'median'):9.3f} {figure(name, 'warm_p99_ms', 'median'):9.3f}"
        )
    print("(ms; import and 1st call are medians, warm figures are the median over runs of each run's percentile)")
    print()
    cold = figure(ours, "cold_ms", "median")
    ratio = cold / figure(baseline, "cold_ms", "median")
    warm_p99 = figure(ours, "warm_p99_ms", "median")
    print(f"cold start: {ratio:.2f} of the baseline's (median vs median)")
    print(f"warm p99:   {figure(baseline, 'warm_p99_ms', 'median') / warm_p99:.1f}x faster than the baseline")
    cold_ok = cold <= COLD_BUDGET_MS
    ratio_ok = ratio <= COLD_RATIO_BUDGET
    warm_ok = warm_p99 <= WARM_P99_BUDGET_MS
    print(f"budget cold <= {COLD_BUDGET_MS:.0f} ms (median): {cold:.1f} ms {'OK' if cold_ok else 'OVER'}")
    print(f"budget cold <= {COLD_RATIO_BUDGET} of the baseline (median): {ratio:.2f} {'OK' if ratio_ok else 'OVER'}")
    print(f"budget warm p99 <= {WARM_P99_BUDGET_MS} ms: {warm_p99:.3f} ms {'OK' if warm_ok else 'OVER'}")
    return 1 if arguments.strict and not (cold_ok and ratio_ok and warm_ok) else 0


if __name__ == "__main__":
    sys.exit(main())
