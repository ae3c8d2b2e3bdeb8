"""The stack's settings: read once from CDK context (cdk.json, `-c key=value`), validated, into one typed object.

Pure Python on purpose (no aws_cdk import): the local emulation reads the same settings without loading CDK, and a
bad value fails before any construct exists, with one message that lists every problem by its context key.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final, TypeVar

T = TypeVar("T")

# What this project's sample requests and docs use as the sender's source; replace it with your senders' sources.
DEFAULT_EVENT_SOURCES: Final = ("cognito-admin-reset.requests",)
# The reset function's audit events use this source; a request rule must never match the function's own output.
AUDIT_EVENT_SOURCE: Final = "cognito-admin-reset"
DEFAULT_RATE_BUDGET: Final = 20.0
# Cognito's default AdminResetUserPassword quota (UserAccountRecovery category) is 30 requests per second per account
# and Region; quota increases exist, so the upper bound only catches typos (an extra zero), not policy.
MAX_RATE_BUDGET: Final = 1000.0
DEFAULT_COOLDOWN_SECONDS: Final = 900
MAX_COOLDOWN_SECONDS: Final = 86_400
DEFAULT_LOG_RETENTION_DAYS: Final = 90
DEFAULT_CONFIG_REVISION: Final = "1"
# Requests per child execution of the bulk workflow (one invocation resets them one after another): 10 keep a batch
# well inside the function's timeout even when Cognito throttles and the function backs off.
DEFAULT_BULK_BATCH_SIZE: Final = 10
MAX_BULK_BATCH_SIZE: Final = 100
# A bulk run stops when more than this share of its batches failed after every retry (a systemic fault, not bad luck).
DEFAULT_BULK_TOLERATED_FAILURE_PERCENTAGE: Final = 5.0
# The values CloudWatch Logs accepts for a log group's retention.
LOG_RETENTION_DAYS: Final = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
                             2922, 3288, 3653)  # fmt: skip
# Reserved concurrency = ceil(rate budget x fastest reset seconds), at least MIN_RESERVED_CONCURRENCY.
# A reset is one AdminResetUserPassword call, which includes Cognito's synchronous CustomMessage invocation; its
# fastest round trip is about a quarter of a second, so each concurrent invocation can issue at most ~4 resets per
# second. Sizing on the fastest call keeps the ceiling at or under the budget; slower calls only lower the rate.
FASTEST_RESET_SECONDS: Final = 0.25
MIN_RESERVED_CONCURRENCY: Final = 2

USER_POOL_ID_PATTERN: Final = re.compile(r"(?P<region>[a-z]{2}(?:-[a-z]+)+-\d)_[0-9a-zA-Z]+")
_EVENT_SOURCE = re.compile(r"[A-Za-z0-9._/-]{1,256}")
_EVENT_BUS_NAME = re.compile(r"[A-Za-z0-9._/-]{1,256}")
_EMAIL = re.compile(r"[^@\s<>\"]+@[^@\s<>\"]+\.[A-Za-z]{2,}")
_HOST = re.compile(r"(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")
_DOMAIN = _HOST
_LOCALE = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8}){0,3}")
_BRAND = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d")
_CONFIG_REVISION = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}")


class SettingsError(ValueError):
    """The context holds values the stack cannot be built from; the message lists every problem by context key."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Every setting of the stack, as context keys in camelCase (the README's Deploy section has the table)."""

    existing_user_pool_id: str | None = None
    existing_user_pool_sms_role_arn: str | None = None
    # Any label; a new one makes the next deploy read the existing pool's configuration again (its e-mail mode).
    existing_user_pool_config_revision: str = DEFAULT_CONFIG_REVISION
    additional_user_pool_ids: tuple[str, ...] = ()
    ses_from_address: str | None = None
    ses_from_name: str | None = None
    ses_verified_domain: str | None = None
    ses_region: str | None = None
    event_bus_name: str | None = None
    allowed_event_sources: tuple[str, ...] = DEFAULT_EVENT_SOURCES
    rate_budget: float = DEFAULT_RATE_BUDGET
    cooldown_seconds: int = DEFAULT_COOLDOWN_SECONDS
    allowed_link_hosts: tuple[str, ...] = ()
    default_locale: str = "en"
    default_brand: str | None = None
    alarm_email: str | None = None
    log_retention_days: int = DEFAULT_LOG_RETENTION_DAYS
    bulk_batch_size: int = DEFAULT_BULK_BATCH_SIZE
    bulk_tolerated_failure_percentage: float = DEFAULT_BULK_TOLERATED_FAILURE_PERCENTAGE

    @property
    def creates_user_pool(self) -> bool:
        return self.existing_user_pool_id is None

    @property
    def sends_email_through_ses(self) -> bool:
        return self.ses_from_address is not None

    @property
    def dedupe_enabled(self) -> bool:
        """A cooldown of 0 turns duplicate suppression (and its DynamoDB table) off."""
        return self.cooldown_seconds > 0

    @property
    def reserved_concurrency(self) -> int:
        """The reset function's reserved concurrency, derived from the rate budget (formula above)."""
        return max(MIN_RESERVED_CONCURRENCY, math.ceil(self.rate_budget * FASTEST_RESET_SECONDS))

    @property
    def pool_region(self) -> str | None:
        """The Region of the named pools (their ids start with it): the stack must deploy there, if any are named."""
        regions = _regions(self.existing_user_pool_id, *self.additional_user_pool_ids)
        return regions[0] if regions else None

    @classmethod
    def from_context(cls, context: Mapping[str, object]) -> Settings:
        """Build the settings from a CDK context map (`app.node.get_all_context()`); raise SettingsError on bad values.

        Values from cdk.json arrive typed; values from `-c key=value` arrive as strings, so numbers are parsed and a
        list may be a JSON-style list or a comma-separated string.
        """
        reader = _ContextReader(context)
        settings = cls(
            existing_user_pool_id=reader.optional("existingUserPoolId", _user_pool_id),
            existing_user_pool_sms_role_arn=reader.optional("existingUserPoolSmsRoleArn", _role_arn),
            existing_user_pool_config_revision=reader.value(
                "existingUserPoolConfigRevision", _config_revision, DEFAULT_CONFIG_REVISION
            ),
            additional_user_pool_ids=reader.list_of("additionalUserPoolIds", _user_pool_id, ()),
            ses_from_address=reader.optional("sesFromAddress", _email),
            ses_from_name=reader.optional("sesFromName", _display_name),
            ses_verified_domain=reader.optional("sesVerifiedDomain", _domain),
            ses_region=reader.optional("sesRegion", _region),
            event_bus_name=reader.optional("eventBusName", _event_bus_name),
            allowed_event_sources=reader.list_of("allowedEventSources", _event_source, DEFAULT_EVENT_SOURCES),
            rate_budget=reader.value("rateBudget", _rate_budget, DEFAULT_RATE_BUDGET),
            cooldown_seconds=reader.value("cooldownSeconds", _cooldown, DEFAULT_COOLDOWN_SECONDS),
            allowed_link_hosts=reader.list_of("allowedLinkHosts", _host, ()),
            default_locale=reader.value("defaultLocale", _locale, "en"),
            default_brand=reader.optional("defaultBrand", _brand),
            alarm_email=reader.optional("alarmEmail", _email),
            log_retention_days=reader.value("logRetentionDays", _retention, DEFAULT_LOG_RETENTION_DAYS),
            bulk_batch_size=reader.value("bulkBatchSize", _batch_size, DEFAULT_BULK_BATCH_SIZE),
            bulk_tolerated_failure_percentage=reader.value(
                "bulkToleratedFailurePercentage", _percentage, DEFAULT_BULK_TOLERATED_FAILURE_PERCENTAGE
            ),
        )
        reader.errors.extend(settings._combination_errors())
        reader.errors.extend(_unknown_key_errors(context))
        if reader.errors:
            raise SettingsError("invalid settings in CDK context:\n  - " + "\n  - ".join(reader.errors))
        return settings

    def _combination_errors(self) -> list[str]:
        errors: list[str] = []
        if not self.allowed_event_sources:
            errors.append("allowedEventSources: at least one event source is needed, or the rule matches nothing")
        if AUDIT_EVENT_SOURCE in self.allowed_event_sources:
            errors.append(
                f"allowedEventSources: '{AUDIT_EVENT_SOURCE}' is the source of the reset function's own audit events"
            )
        if self.existing_user_pool_id is None:
            if self.existing_user_pool_sms_role_arn is not None:
                errors.append("existingUserPoolSmsRoleArn: only applies together with existingUserPoolId")
            if self.existing_user_pool_config_revision != DEFAULT_CONFIG_REVISION:
                errors.append("existingUserPoolConfigRevision: only applies together with existingUserPoolId")
        else:
            errors.extend(
                f"{key}: the stack configures e-mail only for a pool it creates; set it on the existing pool itself"
                for key, value in (
                    ("sesFromAddress", self.ses_from_address),
                    ("sesFromName", self.ses_from_name),
                    ("sesVerifiedDomain", self.ses_verified_domain),
                    ("sesRegion", self.ses_region),
                )
                if value is not None
            )
            if self.existing_user_pool_id in self.additional_user_pool_ids:
                errors.append("additionalUserPoolIds: lists existingUserPoolId again")
        if self.ses_from_address is None:
            errors.extend(
                f"{key}: only applies together with sesFromAddress"
                for key, value in (
                    ("sesFromName", self.ses_from_name),
                    ("sesVerifiedDomain", self.ses_verified_domain),
                    ("sesRegion", self.ses_region),
                )
                if value is not None
            )
        elif self.ses_region is None:
            errors.append("sesRegion: required with sesFromAddress (the Region where the SES identity is verified)")
        if (
            self.ses_from_address is not None
            and self.ses_verified_domain is not None
            and not self.ses_from_address.lower().endswith("@" + self.ses_verified_domain.lower())
        ):
            errors.append("sesFromAddress: must be an address of sesVerifiedDomain")
        if len(set(_regions(self.existing_user_pool_id, *self.additional_user_pool_ids))) > 1:
            errors.append(
                "additionalUserPoolIds: every pool must be in one Region with the stack (the functions call Cognito "
                "in their own Region)"
            )
        if len(set(self.additional_user_pool_ids)) != len(self.additional_user_pool_ids):
            errors.append("additionalUserPoolIds: lists a pool more than once")
        return errors


def _regions(*pool_ids: str | None) -> list[str]:
    return [match["region"] for pool_id in pool_ids if pool_id and (match := USER_POOL_ID_PATTERN.fullmatch(pool_id))]


SETTING_KEYS: Final = (
    "existingUserPoolId",
    "existingUserPoolSmsRoleArn",
    "existingUserPoolConfigRevision",
    "additionalUserPoolIds",
    "sesFromAddress",
    "sesFromName",
    "sesVerifiedDomain",
    "sesRegion",
    "eventBusName",
    "allowedEventSources",
    "rateBudget",
    "cooldownSeconds",
    "allowedLinkHosts",
    "defaultLocale",
    "defaultBrand",
    "alarmEmail",
    "logRetentionDays",
    "bulkBatchSize",
    "bulkToleratedFailurePercentage",
)
# Context keys that belong to the CDK toolkit rather than to this app.
_TOOLKIT_KEYS: Final = frozenset({"cli-telemetry", "acknowledged-issue-numbers"})


def _unknown_key_errors(context: Mapping[str, object]) -> list[str]:
    """A misspelt setting must not silently fall back to its default (say `rateBugdet=5` on a production deploy)."""
    errors = []
    for key in context:
        if key in SETTING_KEYS or key in _TOOLKIT_KEYS or key.startswith("@") or ":" in key:
            continue
        close = difflib.get_close_matches(key, SETTING_KEYS, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else f" (known settings: {', '.join(SETTING_KEYS)})"
        errors.append(f"{key}: not a setting of this stack{hint}")
    return errors


class _ContextReader:
    """Reads one key at a time, collecting errors instead of stopping at the first one."""

    def __init__(self, context: Mapping[str, object]) -> None:
        self._context = context
        self.errors: list[str] = []

    def _raw(self, key: str) -> object:
        raw = self._context.get(key)
        if isinstance(raw, str) and not raw.strip():
            return None
        return raw

    def optional(self, key: str, parse: Callable[[object], T]) -> T | None:
        raw = self._raw(key)
        if raw is None:
            return None
        return self._parse(key, parse, raw, None)

    def value(self, key: str, parse: Callable[[object], T], default: T) -> T:
        raw = self._raw(key)
        if raw is None:
            return default
        return self._parse(key, parse, raw, default)

    def list_of(self, key: str, parse: Callable[[object], T], default: tuple[T, ...]) -> tuple[T, ...]:
        raw = self._raw(key)
        if raw is None:
            return default
        if isinstance(raw, str):
            text = raw.strip()
            if text.startswith("[") and text.endswith("]"):
                text = text[1:-1]
            raw = [item.strip().strip("\"'") for item in text.split(",") if item.strip()]
        if not isinstance(raw, list | tuple):
            self.errors.append(f"{key}: must be a list (or a comma-separated string), got {type(raw).__name__}")
            return default
        parsed = [self._parse(f"{key}[{index}]", parse, item, None) for index, item in enumerate(raw)]
        return tuple(item for item in parsed if item is not None)

    def _parse(self, key: str, parse: Callable[[object], T], raw: object, fallback: T) -> T:
        try:
            return parse(raw)
        except ValueError as error:
            self.errors.append(f"{key}: {error}")
            return fallback


def _text(raw: object) -> str:
    if not isinstance(raw, str):
        raise ValueError(f"must be a string, got {type(raw).__name__}")  # noqa: TRY004  (collected as a message)
    return raw.strip()


def _matching(pattern: re.Pattern[str], description: str) -> Callable[[object], str]:
    def parse(raw: object) -> str:
        text = _text(raw)
        if not pattern.fullmatch(text):
            raise ValueError(f"'{text}' is not {description}")
        return text

    return parse


def _user_pool_id(raw: object) -> str:
    text = _text(raw)
    if len(text) > 55 or not USER_POOL_ID_PATTERN.fullmatch(text):
        raise ValueError(f"'{text}' is not a user pool id (like eu-west-1_AbC123xyz)")
    return text


def _number(raw: object) -> float:
    if isinstance(raw, bool):
        raise ValueError("must be a number, got a boolean")  # noqa: TRY004  (collected as a message)
    if isinstance(raw, int | float):
        return float(raw)
    try:
        return float(_text(raw))
    except ValueError:
        raise ValueError(f"must be a number, got '{raw}'") from None


def _whole_number(raw: object) -> int:
    number = _number(raw)
    if not number.is_integer():
        raise ValueError(f"must be a whole number, got {number:g}")
    return int(number)


def _rate_budget(raw: object) -> float:
    rate = _number(raw)
    if not 0 < rate <= MAX_RATE_BUDGET or math.isnan(rate):
        raise ValueError(f"must be more than 0 and at most {MAX_RATE_BUDGET:g} resets per second, got {rate:g}")
    return rate


def _cooldown(raw: object) -> int:
    seconds = _whole_number(raw)
    if not 0 <= seconds <= MAX_COOLDOWN_SECONDS:
        raise ValueError(f"must be 0 (off) to {MAX_COOLDOWN_SECONDS} seconds, got {seconds}")
    return seconds


def _retention(raw: object) -> int:
    days = _whole_number(raw)
    if days not in LOG_RETENTION_DAYS:
        raise ValueError(f"must be one of CloudWatch's retention periods {LOG_RETENTION_DAYS}, got {days}")
    return days


def _batch_size(raw: object) -> int:
    size = _whole_number(raw)
    if not 1 <= size <= MAX_BULK_BATCH_SIZE:
        raise ValueError(f"must be 1 to {MAX_BULK_BATCH_SIZE} requests per batch, got {size}")
    return size


def _percentage(raw: object) -> float:
    share = _number(raw)
    if not 0 <= share <= 100:
        raise ValueError(f"must be a percentage from 0 to 100, got {share:g}")
    return share


def _display_name(raw: object) -> str:
    text = _text(raw)
    if not 1 <= len(text) <= 64 or any(ch in text for ch in '<>"\r\n'):
        raise ValueError("must be 1-64 characters without <, >, quotes or line breaks")
    return text


_email = _matching(_EMAIL, "an e-mail address")
_domain = _matching(_DOMAIN, "a domain name")
_host = _matching(_HOST, "a host name (no scheme, port or path)")
_region = _matching(_REGION, "an AWS Region such as eu-west-1")
_role_arn = _matching(_ROLE_ARN, "an IAM role ARN")
_config_revision = _matching(_CONFIG_REVISION, "a label of 1-64 letters, digits, '.', '_', ':' or '-'")
_locale = _matching(_LOCALE, "a BCP 47 language tag such as en or de-AT")
_brand = _matching(_BRAND, "a lower-case brand id such as acme")


def _event_source(raw: object) -> str:
    text = _matching(_EVENT_SOURCE, "an event source such as com.example.siem")(raw)
    if text.startswith("aws."):
        raise ValueError(f"'{text}' is reserved for AWS services")
    return text


def _event_bus_name(raw: object) -> str:
    text = _matching(_EVENT_BUS_NAME, "an event bus name")(raw)
    if text.startswith("aws."):
        raise ValueError(f"'{text}' is reserved for AWS partner buses")
    return text


__all__ = ["SETTING_KEYS", "Settings", "SettingsError"]
