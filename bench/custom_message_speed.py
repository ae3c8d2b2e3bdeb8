"""Cold start and warm rendering of the custom message trigger, beside a "usual way" baseline, in one run.

Each sample is a fresh Python process (bench/cold_start_child.py) that imports the handler, invokes it once
(cold = import + first invocation), then invokes it WARM_CALLS more times (warm p50/p99 per call). The contenders
alternate, so machine load hits them alike.

The trigger runs from its bundle, built as synth builds it (infra/bundling.py), with Jinja2 and MarkupSafe copied in
beside it as pip puts them, and this machine's Python standing in for Lambda's, in the two ways a bundle can be:
- built on the runtime's Python: bytecode for every module and template (what the budgets below are for);
- built on another Python: source only, every module compiled at every cold start (synth says so when it happens).
And once as it is: the CustomMessage function's asset exactly as synth wrote it (app.py run as the CDK CLI runs it,
bundling from the Lambda wheelhouse, `make wheels`), with whatever bytecode this Python's synth gave it, and its
MarkupSafe built for Lambda (aarch64, CPython 3.14), whose C speedups cannot load here: MarkupSafe then escapes in pure
Python, and the output says which it did. Its cold start against the bundle with bytecode is the factor synth's
warning quotes (infra/bundling.py, SOURCE_ONLY_COLD_START_FACTOR) when a synth cannot add bytecode.
The baseline imports its packages from the environment, where pip installed them with their bytecode.

Budgets, for the bundle with bytecode: cold <= 60 ms (median), <= 0.25 of the baseline's (median vs
median), warm p99 <= 0.5 ms; and no growth with what a pack holds (a large pack's cold start <= 1.10 of the example
pack's). Usage: python bench/custom_message_speed.py [--runs 5] [--warm-calls 2000] [--strict]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from contracts import environment as env
from contracts.cognito import DEVELOPER
from contracts.stack import STACK_NAME
from contracts.telemetry import CUSTOM_MESSAGE_SERVICE, NAMESPACE

ROOT = Path(__file__).resolve().parent.parent
CHILD = ROOT / "bench" / "cold_start_child.py"
EXAMPLE_PACK = ROOT / "examples" / "message-pack"
EVENT = ROOT / "tests" / "events" / "custom_message" / "forgot_password_admin_reset.json"
TRIGGER = "custom_message.handler"
BASELINE = "baseline_custom_message"
WITH_BYTECODE = "custom_message, bundle with bytecode"
SYNTHESIZED = "custom_message, synthesized asset as it is"
SOURCE_ONLY = "custom_message, bundle of source only"
LARGE_PACK = "custom_message, with bytecode, large pack"
BASELINE_ROW = "baseline (Powertools + Jinja2, usual way)"
# Row name -> (module, bundle directory name or None for the baseline, which runs from functions/ and bench/).
CONTENDERS = {
    WITH_BYTECODE: (TRIGGER, "bytecode"),
    SYNTHESIZED: (TRIGGER, "synthesized"),
    SOURCE_ONLY: (TRIGGER, "source"),
    LARGE_PACK: (TRIGGER, "large"),
    BASELINE_ROW: (BASELINE, None),
}
# Who may put reset requests on the bus: synth refuses to run without one; it changes nothing in the trigger's asset.
SYNTH_REQUESTER = "arn:aws:iam::123456789012:role/bench-requester"
# The large pack: the example pack plus this many more locales (copies of en) and brands. Cold start must not grow
# with what a pack holds.
LARGE_PACK_LOCALES = 40
LARGE_PACK_BRANDS = 50
GROWTH_BUDGET = 1.10  # the large pack's cold start against the example pack's (median vs median), noise included
# What the trigger's bundle installs beside its code (its requirements, Jinja2, and what Jinja2 needs).
DEPENDENCIES = ("jinja2", "markupsafe")
# Cold start (import and first message, fresh process, median of the runs), and against the baseline's median.
COLD_BUDGET_MS = 60.0
COLD_RATIO_BUDGET = 0.25
WARM_P99_BUDGET_MS = 0.5


def _environment(bundle: Path | None) -> dict[str, str]:
    """The trigger runs from `bundle` alone (its code and packages as Lambda gets them); the baseline from functions/
    and bench/, with the environment's packages, compiling the same templates the usual way."""
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONPYCACHEPREFIX"}
    path = [str(bundle)] if bundle is not None else [str(ROOT / "functions"), str(ROOT / "bench")]
    environment.update(
        {
            "PYTHONPATH": os.pathsep.join(path),
            # As on Lambda, whose code directory is read-only: no process leaves bytecode for the next one.
            "PYTHONDONTWRITEBYTECODE": "1",
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


def _large_pack(directory: Path) -> Path:
    """The example pack with LARGE_PACK_LOCALES more locales (English copies) and LARGE_PACK_BRANDS more brands."""
    shutil.copytree(EXAMPLE_PACK, directory)
    english = ROOT / "functions" / "custom_message" / "templates" / "en"
    for number in range(LARGE_PACK_LOCALES):
        shutil.copytree(english, directory / f"en-x{number:02d}")
    book = json.loads((directory / "brands.json").read_text(encoding="utf-8"))
    for number in range(LARGE_PACK_BRANDS):
        book["brands"][f"brand{number:02d}"] = {
            "name": f"Brand {number:02d}",
            "primary_colour": "#1f4e79",
            "logo_url": f"https://brand{number:02d}.example/logo.png",
            "support_email": f"help@brand{number:02d}.example",
        }
    (directory / "brands.json").write_text(json.dumps(book), encoding="utf-8")
    return directory


def _build(directory: Path, *, bytecode: bool, pack: Path = EXAMPLE_PACK) -> Path:
    """The trigger's bundle as synth builds it: every shipped language with a message pack over them."""
    from infra.bundling import assemble_code, byte_compile
    from infra.custom_message import trigger_source

    assemble_code(trigger_source(pack), directory, bytecode=bytecode)
    for name in DEPENDENCIES:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            raise SystemExit(f"{name} is not installed: run `make setup`")
        package = Path(next(iter(spec.submodule_search_locations)))
        shutil.copytree(package, directory / name, ignore=shutil.ignore_patterns("__pycache__"))
    if bytecode:
        byte_compile(directory)
        if not list((directory / "custom_message" / "compiled_templates").glob("*.j2bc")):
            raise SystemExit("the build wrote no template bytecode")
    return directory


def _synthesize(outdir: Path) -> Path:
    """The CustomMessage function's asset directory as synth writes it: app.py run as the CDK CLI runs it (cdk.json's
    context in CDK_CONTEXT_JSON, the cloud assembly into CDK_OUTDIR, asset metadata on), over the example pack like
    the bundles above. Found through the template: the function's `aws:asset:path`."""
    context = json.loads((ROOT / "cdk.json").read_text(encoding="utf-8"))["context"]
    context.update(
        {
            "resetRequesters": [SYNTH_REQUESTER],
            "messagePack": str(EXAMPLE_PACK),
            # The CLI's defaults (--asset-metadata, --path-metadata).
            "aws:cdk:enable-asset-metadata": True,
            "aws:cdk:enable-path-metadata": True,
        }
    )
    environment = {key: value for key, value in os.environ.items() if not key.startswith("CDK_")}
    environment.update({"CDK_OUTDIR": str(outdir), "CDK_CONTEXT_JSON": json.dumps(context)})
    completed = subprocess.run(  # noqa: S603 - our own interpreter and app, fixed arguments
        [sys.executable, str(ROOT / "app.py")],
        capture_output=True,
        text=True,
        env=environment,
        cwd=ROOT,
        check=False,
    )
    if completed.returncode != 0:
        raise SystemExit(f"synth failed (are the Lambda wheels there? run `make wheels`):\n{completed.stderr}")
    template = json.loads((outdir / f"{STACK_NAME}.template.json").read_text(encoding="utf-8"))
    [asset] = [
        str(body["Metadata"]["aws:asset:path"])
        for body in template["Resources"].values()
        if body["Type"] == "AWS::Lambda::Function" and body["Properties"].get("Handler") == f"{TRIGGER}.lambda_handler"
    ]
    return outdir / asset


def _bytecode_in(asset: Path) -> str:
    """What bytecode the asset carries, for this Python (which would load it) and for any other (which would not)."""
    here = len(list(asset.rglob(f"*.{sys.implementation.cache_tag}.pyc")))
    other = len(list(asset.rglob("*.pyc"))) - here
    running = f"python {sys.version_info.major}.{sys.version_info.minor}"
    if here:
        return f"bytecode for {running} ({here} .pyc)"
    return f"source only, no bytecode for {running}" + (f" ({other} .pyc for another Python)" if other else "")


def _sample(module: str, warm_calls: int, bundle: Path | None) -> dict[str, float]:
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


def _measure(runs: int, warm_calls: int) -> tuple[dict[str, list[dict[str, float]]], str]:
    """Every contender's samples, the rounds alternating them; and what bytecode the synthesized asset carries."""
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in CONTENDERS}
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")  # as the Makefile sets it
    with tempfile.TemporaryDirectory(prefix="custom-message-bundles-") as bundles:
        root = Path(bundles)
        built = {
            "bytecode": _build(root / "bytecode", bytecode=True),
            "synthesized": _synthesize(root / "cdk.out"),
            "source": _build(root / "source", bytecode=False),
            "large": _build(root / "large", bytecode=True, pack=_large_pack(root / "large-pack")),
        }
        synthesized_bytecode = _bytecode_in(built["synthesized"])
        had_pycache = bool(list(built["synthesized"].rglob("__pycache__")))
        # One round untimed first: the runs compare cold processes, not the first reads of files just written.
        for round_number in range(1 + runs):
            for name, (module, kind) in CONTENDERS.items():
                sample = _sample(module, warm_calls if round_number else 1, built[kind] if kind else None)
                if round_number:
                    samples[name].append(sample)
        if list(built["source"].rglob("__pycache__")):
            raise SystemExit("the bundle of source only gained bytecode during the runs: its figures are not valid")
        if not had_pycache and list(built["synthesized"].rglob("__pycache__")):
            raise SystemExit("the synthesized asset gained bytecode during the runs: its figures are not valid")
    return samples, synthesized_bytecode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warm-calls", type=int, default=2000)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a budget is missed")
    arguments = parser.parse_args()

    samples, synthesized_bytecode = _measure(arguments.runs, arguments.warm_calls)

    def figure(name: str, key: str, how: str) -> float:
        values = [sample[key] for sample in samples[name]]
        return min(values) if how == "min" else statistics.median(values)

    from infra.bundling import SOURCE_ONLY_COLD_START_FACTOR, builds_bytecode

    ours, synthesized, source_only, large, baseline = WITH_BYTECODE, SYNTHESIZED, SOURCE_ONLY, LARGE_PACK, BASELINE_ROW
    escaping = {bool(sample["markupsafe_speedups"]) for sample in samples[synthesized]}
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
    print(
        f"synthesized asset (the CustomMessage function's, as synth wrote it here): {synthesized_bytecode}; MarkupSafe "
        + ("in C (its speedups loaded)" if escaping == {True} else "in pure Python (its C speedups are Lambda's)")
    )
    print()
    baseline_cold = figure(baseline, "cold_ms", "median")
    cold = figure(ours, "cold_ms", "median")
    ratio = cold / baseline_cold
    warm_p99 = figure(ours, "warm_p99_ms", "median")
    print(f"cold start, bundle with bytecode:   {ratio:.2f} of the baseline's (median vs median)")
    synthesized_cold = figure(synthesized, "cold_ms", "median")
    print(
        f"cold start, synthesized asset:     {synthesized_cold / baseline_cold:.2f} of the baseline's; "
        f"{synthesized_cold / cold:.2f}x the bundle with bytecode's"
        + ("" if builds_bytecode() else f" (synth's warning says about {SOURCE_ONLY_COLD_START_FACTOR:g}x)")
    )
    print(
        f"cold start, bundle of source only: {figure(source_only, 'cold_ms', 'median') / baseline_cold:.2f}; "
        f"{figure(source_only, 'cold_ms', 'median') / cold:.2f}x the bundle with bytecode's"
    )
    growth = figure(large, "cold_ms", "median") / cold
    print(
        f"cold start, large pack ({LARGE_PACK_LOCALES} more locales, {LARGE_PACK_BRANDS} more brands): "
        f"{growth:.2f} of the example pack's"
    )
    print(f"warm p99: {figure(baseline, 'warm_p99_ms', 'median') / warm_p99:.1f}x faster than the baseline")
    cold_ok = cold <= COLD_BUDGET_MS
    ratio_ok = ratio <= COLD_RATIO_BUDGET
    warm_ok = warm_p99 <= WARM_P99_BUDGET_MS
    growth_ok = growth <= GROWTH_BUDGET
    print(f"budget cold <= {COLD_BUDGET_MS:.0f} ms (median): {cold:.1f} ms {'OK' if cold_ok else 'OVER'}")
    print(f"budget cold <= {COLD_RATIO_BUDGET} of the baseline (median): {ratio:.2f} {'OK' if ratio_ok else 'OVER'}")
    print(f"budget warm p99 <= {WARM_P99_BUDGET_MS} ms: {warm_p99:.3f} ms {'OK' if warm_ok else 'OVER'}")
    print(f"budget growth with the large pack <= {GROWTH_BUDGET:.2f}: {growth:.2f} {'OK' if growth_ok else 'OVER'}")
    return 1 if arguments.strict and not (cold_ok and ratio_ok and warm_ok and growth_ok) else 0


if __name__ == "__main__":
    sys.exit(main())
