"""The stack's CloudFormation template, synthesized in-process from the CDK app: what the local account is made of."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local_aws.harness.server import ACCOUNT_ID

CDK_JSON = Path(__file__).resolve().parents[2] / "cdk.json"
# Who may put reset requests on the local bus: every local call is made as moto's one identity (its GetCallerIdentity
# answer), so the local deployment names that principal. The local system plays no bus policy (moto evaluates no
# resource policy); tests/infra evaluates the synthesized one instead (docs/security.md).
LOCAL_REQUESTERS = {"resetRequesters": [f"arn:aws:iam::{ACCOUNT_ID}:user/moto"]}


@dataclass(frozen=True)
class SynthesizedStack:
    template: dict[str, Any]
    warnings: tuple[str, ...]  # what synth reported as warnings (cdk-nag and the stack's own annotations)
    # The deployer's message pack (messagePack), checked by synth: the local trigger renders it as the bundle would.
    message_pack: Path | None = None


def synthesize(context: Mapping[str, object] | None = None) -> SynthesizedStack:
    """The stack's CloudFormation template, synthesized in-process from cdk.json's context (plus `context`).

    Asset bundling is skipped: the local account runs the handlers from this checkout, not from bundles. What synth
    prints (its validation report, on stderr) is collected into `warnings` instead of the terminal.
    """
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    shipped = json.loads(CDK_JSON.read_text())["context"]
    with tempfile.TemporaryDirectory(prefix="local-synth-") as outdir, descriptor_into(2, Path(outdir) / "stderr.txt"):
        from infra.application import STACK_NAME, build_app  # noqa: PLC0415 - CDK loads only when synthesizing
        from infra.settings import Settings  # noqa: PLC0415

        app = build_app(
            {**shipped, **LOCAL_REQUESTERS, **(context or {}), "aws:cdk:bundling-stacks": []}, outdir=outdir
        )
        message_pack = Settings.from_context(app.node.get_all_context()).message_pack_path
        template = dict(app.synth().get_stack_by_name(STACK_NAME).template)
        report_path = Path(outdir) / "validation-report.json"
        report = json.loads(report_path.read_text()) if report_path.exists() else {}
    warnings = tuple(
        violation["description"]
        for plugin in report.get("pluginReports", [])
        for violation in plugin.get("violations", [])
        if violation.get("severity") == "warning"
    )
    return SynthesizedStack(template=template, warnings=warnings, message_pack=message_pack)


@contextmanager
def descriptor_into(descriptor: int, path: Path) -> Iterator[None]:
    """A file descriptor (1 or 2) into a file, for writers that hold the process's own stream: the CDK's Node process
    (started on first import) writes to 2, the functions' loggers to 1."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    saved = os.dup(descriptor)
    with path.open("wb") as sink:
        os.dup2(sink.fileno(), descriptor)
        try:
            yield
        finally:
            sys.stdout.flush()
            os.dup2(saved, descriptor)
            os.close(saved)
