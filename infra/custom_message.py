"""The CustomMessage trigger function: renders the reset e-mail and SMS that Cognito sends."""

from __future__ import annotations

from typing import Final

import aws_cdk as cdk
from constructs import Construct

from infra.bundling import FunctionSource
from infra.python_function import PythonFunction
from infra.settings import Settings

SOURCE: Final = FunctionSource(
    packages=("custom_message", "client_metadata"),
    # No boto3 and no pydantic on this path: it runs inside Cognito's 5-second budget, cold starts included.
    requirements=("aws-lambda-powertools", "Jinja2"),
)
SERVICE_NAME: Final = "custom-message"
METRICS_NAMESPACE: Final = "CognitoPasswordReset"
# Cognito waits 5 s per try (3 tries) for a trigger; a longer timeout would only run on after Cognito gave up.
TIMEOUT: Final = cdk.Duration.seconds(5)
# Tells the trigger how the pool sends e-mail: DEVELOPER (its own SES identity) or COGNITO_DEFAULT; only under DEVELOPER
# may it answer with an e-mail subject and body (custom_message/settings.py has the rule and its source).
EMAIL_SENDING_ACCOUNT: Final = "EMAIL_SENDING_ACCOUNT"
# Cold start is CPU-bound (imports, template compilation) and Lambda's CPU scales with memory: at 1,024 MB a cold
# start costs a fraction of what it does at 128 MB, for a function that runs a few milliseconds per message.
MEMORY_MB: Final = 1024


class CustomMessageTrigger(Construct):
    """The trigger function; it makes no AWS calls, so its role can only write its own logs."""

    def __init__(self, scope: Construct, construct_id: str, *, settings: Settings) -> None:
        super().__init__(scope, construct_id)
        environment = {
            "ALLOWED_LINK_HOSTS": ",".join(settings.allowed_link_hosts),
            "DEFAULT_LOCALE": settings.default_locale,
            "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
            "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
        }
        if settings.default_brand is not None:
            environment["DEFAULT_BRAND"] = settings.default_brand
        self.lambda_ = PythonFunction(
            self,
            "CustomMessage",
            source=SOURCE,
            handler="custom_message.handler.lambda_handler",
            description="Cognito CustomMessage trigger: tailored, localised password reset messages",
            environment=environment,
            log_retention_days=settings.log_retention_days,
            memory_size=MEMORY_MB,
            timeout=TIMEOUT,
        )
        self.function = self.lambda_.function

    def tell_email_sending_account(self, mode: str) -> None:
        """The pool's EmailSendingAccount (a value, or a token read from an existing pool at deploy time)."""
        self.function.add_environment(EMAIL_SENDING_ACCOUNT, mode)
