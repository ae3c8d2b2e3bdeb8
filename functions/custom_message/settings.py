"""The trigger's configuration, read from the environment once per container (never at import time)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, NamedTuple

from contracts import environment as env
from contracts.cognito import (
    CONFIRM_WITH_CODE,
    CONFIRM_WITH_LINK,
    DEVELOPER,
    EMAIL_SENDING_ACCOUNTS,
    EMAIL_VERIFICATION_OPTIONS,
)
from contracts.stack import SHIPPED_LOCALE
from contracts.telemetry import CUSTOM_MESSAGE_SERVICE, NAMESPACE

DEFAULT_LOCALE: Final = SHIPPED_LOCALE
DEFAULT_BRAND: Final = "default"


class Settings(NamedTuple):
    """What a deployer can set on the function; every field has a safe default."""

    allowed_link_hosts: frozenset[str] = frozenset()
    default_locale: str = DEFAULT_LOCALE
    default_brand: str = DEFAULT_BRAND
    service_name: str = CUSTOM_MESSAGE_SERVICE
    metrics_namespace: str = NAMESPACE
    log_level: str = "INFO"
    # DEVELOPER or COGNITO_DEFAULT (contracts.cognito has the rule and its source); None when the variable is missing
    # or unknown, which is treated as COGNITO_DEFAULT: an e-mail left to Cognito never breaks a reset, one set
    # against the pool's mode breaks every reset.
    email_sending_account: str | None = None
    # The pool's VerificationMessageTemplate.DefaultEmailOption (contracts.cognito has the rule and its source);
    # CONFIRM_WITH_CODE when the variable is missing or unknown: an e-mail without the link still confirms with its
    # code, one with a placeholder Cognito does not replace shows the user "{##Click Here##}".
    email_verification_option: str = CONFIRM_WITH_CODE

    @property
    def tailors_email(self) -> bool:
        """Whether the trigger may answer with emailMessage/emailSubject (the SMS is tailored in every mode)."""
        return self.email_sending_account == DEVELOPER

    @property
    def confirms_with_link(self) -> bool:
        """Whether Cognito replaces its link placeholder in this pool's sign-up e-mails with a confirmation link."""
        return self.email_verification_option == CONFIRM_WITH_LINK

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Settings:
        """Read the documented variables; blank values mean 'use the default'."""
        hosts = frozenset(
            host.strip().lower() for host in environ.get(env.ALLOWED_LINK_HOSTS, "").split(",") if host.strip()
        )
        return cls(
            allowed_link_hosts=hosts,
            default_locale=_normalise_locale(environ.get(env.DEFAULT_LOCALE, "")) or DEFAULT_LOCALE,
            default_brand=environ.get(env.DEFAULT_BRAND, "").strip() or DEFAULT_BRAND,
            service_name=environ.get(env.POWERTOOLS_SERVICE_NAME, "").strip() or CUSTOM_MESSAGE_SERVICE,
            metrics_namespace=environ.get(env.POWERTOOLS_METRICS_NAMESPACE, "").strip() or NAMESPACE,
            # Lambda's advanced logging controls set AWS_LAMBDA_LOG_LEVEL; the Powertools variable wins, as it does
            # on the reset function.
            log_level=(
                environ.get(env.POWERTOOLS_LOG_LEVEL, "").strip()
                or environ.get(env.AWS_LAMBDA_LOG_LEVEL, "").strip()
                or "INFO"
            ).upper(),
            email_sending_account=_email_sending_account(environ.get(env.EMAIL_SENDING_ACCOUNT, "")),
            email_verification_option=_email_verification_option(environ.get(env.EMAIL_VERIFICATION_OPTION, "")),
        )


def _email_sending_account(value: str) -> str | None:
    mode = value.strip().upper()
    return mode if mode in EMAIL_SENDING_ACCOUNTS else None


def _email_verification_option(value: str) -> str:
    option = value.strip().upper()
    return option if option in EMAIL_VERIFICATION_OPTIONS else CONFIRM_WITH_CODE


def _normalise_locale(value: str) -> str:
    # Template directories are lower-case BCP 47 tags ("de", "pt-br"); accept "pt_BR" from a deployer too.
    return value.strip().replace("_", "-").lower()
