"""The CustomMessage trigger function: renders the reset e-mail and SMS that Cognito sends."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Final

import aws_cdk as cdk
from constructs import Construct

from contracts import environment as env
from contracts.telemetry import CUSTOM_MESSAGE_SERVICE, NAMESPACE
from infra.bundling import FunctionSource
from infra.python_function import PythonFunction
from infra.settings import Settings
from infra.template_compilation import compile_into_bundle, overlay_and_compile
from message_tooling.catalog import BUILT_IN, MessageCatalog, catalog_of
from message_tooling.message_pack import merged_and_checked

SOURCE: Final = FunctionSource(
    packages=("custom_message", "contracts"),
    # Only what it imports: Jinja2 (and MarkupSafe with it). No boto3, no pydantic, no Powertools on this path: it runs
    # inside Cognito's 5-second budget, cold starts included.
    requirements=("Jinja2",),
    # The templates compiled when the bundle is built, so a cold start does not pay Jinja2's parser.
    build_step=compile_into_bundle,
)
# Cognito waits 5 s per try (3 tries) for a trigger; a longer timeout would only run on after Cognito gave up.
TIMEOUT: Final = cdk.Duration.seconds(5)
# Cold start is CPU-bound (imports, template compilation) and Lambda's CPU scales with memory: at 1,024 MB a cold
# start costs a fraction of what it does at 128 MB, for a function that runs a few milliseconds per message.
MEMORY_MB: Final = 1024


def trigger_source(pack: Path | None) -> FunctionSource:
    """The trigger's code with a message pack over its built-in messages (merged in the bundle, then compiled), or
    without one. The pack's files are inputs of the asset: changing a word changes the asset."""
    if pack is None:
        return SOURCE
    return replace(SOURCE, inputs=(pack,), build_step=partial(overlay_and_compile, pack))


def message_catalog(pack: Path | None, settings: Settings) -> MessageCatalog:
    """The reasons, brands and locales the deployed trigger knows, under the stack's defaults. A pack is merged over
    the built-in messages and checked first: synth stops here, naming each file and what is wrong with it, before a
    broken message can be deployed."""
    if pack is None:
        return catalog_of(BUILT_IN, settings.default_locale, settings.default_brand)
    with tempfile.TemporaryDirectory(prefix="message-pack-") as merged:
        return catalog_of(merged_and_checked(pack, Path(merged)), settings.default_locale, settings.default_brand)


class CustomMessageTrigger(Construct):
    """The trigger function; it makes no AWS calls, so its role can only write its own logs."""

    def __init__(self, scope: Construct, construct_id: str, *, settings: Settings) -> None:
        super().__init__(scope, construct_id)
        pack = settings.message_pack_path
        self.catalog = message_catalog(pack, settings)
        environment = {
            env.ALLOWED_LINK_HOSTS: ",".join(settings.allowed_link_hosts),
            env.DEFAULT_LOCALE: settings.default_locale,
            env.POWERTOOLS_SERVICE_NAME: CUSTOM_MESSAGE_SERVICE,
            env.POWERTOOLS_METRICS_NAMESPACE: NAMESPACE,
        }
        if settings.default_brand is not None:
            environment[env.DEFAULT_BRAND] = settings.default_brand
        self.lambda_ = PythonFunction(
            self,
            "CustomMessage",
            source=trigger_source(pack),
            handler="custom_message.handler.lambda_handler",
            description="Cognito CustomMessage trigger: tailored, localised password reset messages",
            environment=environment,
            log_retention_days=settings.log_retention_days,
            memory_size=MEMORY_MB,
            timeout=TIMEOUT,
        )
        self.function = self.lambda_.function

    def tell_email_sending_account(self, mode: str) -> None:
        """The pool's EmailSendingAccount (a value, or a token read from an existing pool at deploy time). Only under
        DEVELOPER may the trigger answer with an e-mail subject and body (contracts/cognito.py has the rule)."""
        self.function.add_environment(env.EMAIL_SENDING_ACCOUNT, mode)

    def tell_email_verification_option(self, option: str) -> None:
        """The pool's VerificationMessageTemplate.DefaultEmailOption (a value, or a token read from an existing pool at
        deploy time). Only under CONFIRM_WITH_LINK do sign-up e-mails carry Cognito's link placeholder
        (contracts/cognito.py has the rule)."""
        self.function.add_environment(env.EMAIL_VERIFICATION_OPTION, option)
