"""Builds the CDK app: settings from context, the stack, and cdk-nag's AwsSolutions checks as a synth-time gate."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Final

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from contracts import stack
from infra.settings import Settings
from infra.stack import PasswordResetStack

STACK_NAME: Final = stack.STACK_NAME


def build_app(context: Mapping[str, object] | None = None, outdir: str | None = None) -> cdk.App:
    """The app as `cdk synth` builds it; tests pass context (and an outdir) instead of cdk.json and `-c` flags.

    Makes no AWS calls: the account and Region come from the CLI's environment when it has credentials
    (CDK_DEFAULT_ACCOUNT/CDK_DEFAULT_REGION), else the stack is environment-agnostic. An existing pool fixes the
    Region: the functions must live where the pools are, whatever the CLI's default Region.
    """
    app = cdk.App(context=dict(context) if context is not None else None, outdir=outdir)
    settings = Settings.from_context(app.node.get_all_context())
    PasswordResetStack(
        app,
        STACK_NAME,
        settings=settings,
        description="Event-driven administrator password resets for Amazon Cognito (cognito-admin-reset)",
        env=cdk.Environment(
            account=os.environ.get("CDK_DEFAULT_ACCOUNT"),
            region=settings.pool_region or os.environ.get("CDK_DEFAULT_REGION"),
        ),
    )
    # Any finding that is not acknowledged (with its reason, next to the resource) fails the synth.
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks())
    return app
