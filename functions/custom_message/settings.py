"""The trigger's configuration, read from the environment once per container (never at import time)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Final

DEFAULT_LOCALE: Final = "en"
DEFAULT_BRAND: Final = "default"
DEFAULT_SERVICE_NAME: Final = "custom-message"
DEFAULT_METRICS_NAMESPACE: Final = "CognitoPasswordReset"


@dataclass(frozen=True, slots=True)
class Settings:
    """What a deployer can set on the function; every field has a safe default."""

    allowed_link_hosts: frozenset[str] = frozenset()
    default_locale: str = DEFAULT_LOCALE
    default_brand: str = DEFAULT_BRAND
    service_name: str = DEFAULT_SERVICE_NAME
    metrics_namespace: str = DEFAULT_METRICS_NAMESPACE
    log_level: str = "INFO"

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Settings:
        """Read the documented variables; blank values mean 'use the default'."""
        hosts = frozenset(
            host.strip().lower() for host in environ.get("ALLOWED_LINK_HOSTS", "").split(",") if host.strip()
        )
        return cls(
            allowed_link_hosts=hosts,
            default_locale=_normalise_locale(environ.get("DEFAULT_LOCALE", "")) or DEFAULT_LOCALE,
            default_brand=environ.get("DEFAULT_BRAND", "").strip() or DEFAULT_BRAND,
            service_name=environ.get("POWERTOOLS_SERVICE_NAME", "").strip() or DEFAULT_SERVICE_NAME,
            metrics_namespace=environ.get("POWERTOOLS_METRICS_NAMESPACE", "").strip() or DEFAULT_METRICS_NAMESPACE,
            # Lambda's advanced logging controls set AWS_LAMBDA_LOG_LEVEL; the Powertools variable wins, as it does
            # on the reset function.
            log_level=(
                environ.get("POWERTOOLS_LOG_LEVEL", "").strip()
                or environ.get("AWS_LAMBDA_LOG_LEVEL", "").strip()
                or "INFO"
            ).upper(),
        )


def _normalise_locale(value: str) -> str:
    # Template directories are lower-case BCP 47 tags ("de", "pt-br"); accept "pt_BR" from a deployer too.
    return value.strip().replace("_", "-").lower()


@cache
def current_settings() -> Settings:
    """The settings of this container, read on first use so tests can import modules before setting variables."""
    return Settings.from_environment(os.environ)
