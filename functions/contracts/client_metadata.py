"""What travels in AdminResetUserPassword's ClientMetadata, and the rules both sides apply to it.

Cognito neither stores nor encrypts ClientMetadata, and passes it verbatim to the CustomMessage trigger, so it
carries presentation hints only (never secrets). The reset side rejects a map that breaks these rules
(``metadata_errors``); the trigger side never fails and simply ignores a value that breaks them
(``ResetMetadata.from_client_metadata``). One module, so the two sides cannot drift apart.

Every value is safe text (``contracts.patterns.is_safe_text``: no control, format or separator character, no lone
surrogate), and each recognised key has its shape besides. The trigger also strips control characters from whatever it
renders (``strip_control_characters``), since not every caller of ForgotPassword went through the reset side.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum
from typing import Final, NamedTuple

from contracts.patterns import (
    BRAND_ID,
    LOCALE,
    PRINTABLE_ASCII,
    UNSAFE_TEXT_CATEGORIES,
    UNSAFE_TEXT_PROBLEM,
    is_safe_text,
)

# Bounds, chosen well under what Cognito and a Lambda payload allow: enough for the five recognised keys plus a
# few of the caller's own, small enough that a message template can show any value without a layout breaking.
MAX_KEYS: Final = 10
MAX_KEY_LENGTH: Final = 64
MAX_VALUE_LENGTH: Final = 512
MAX_TOTAL_BYTES: Final = 4096


class Reason(StrEnum):
    """Why a reset happened; picks the message variant. An unknown reason renders the generic variant."""

    ADMIN_REQUEST = "admin_request"
    SECURITY_INCIDENT = "security_incident"
    POLICY_ROTATION = "policy_rotation"
    ACCOUNT_RECOVERY = "account_recovery"


KNOWN_REASONS: Final = frozenset(reason.value for reason in Reason)

_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
# A reason: a lower-case identifier. A deployer's own reasons (a message pack's variants) must have this shape too, or
# no request could name them.
REASON: Final = re.compile(r"[a-z][a-z0-9_]{0,63}")
# Each recognised key has a shape; a value outside it is rejected by the reset side and ignored by the trigger. Every
# value must also be safe text, so the shapes need not exclude control characters themselves.
_SHAPES: Final[dict[str, tuple[re.Pattern[str], str]]] = {
    "reason": (REASON, "a lower-case identifier such as 'security_incident'"),
    "locale": (LOCALE, "a BCP 47 language tag such as 'de-AT'"),
    "brand": (BRAND_ID, "a lower-case brand id such as 'acme'"),
    "reference": (re.compile(r".{1,128}"), "1-128 printable characters"),
    "link": (re.compile(r"https://\S{1,500}"), "an https:// URL without spaces"),
}
RECOGNISED_KEYS: Final = tuple(_SHAPES)


def strip_control_characters(value: str) -> str:
    """Drop control, format and separator characters (newlines, bidi overrides, zero-width joiners) and lone
    surrogates from untrusted text."""
    if PRINTABLE_ASCII.fullmatch(value):
        return value
    return "".join(ch for ch in value if unicodedata.category(ch) not in UNSAFE_TEXT_CATEGORIES)


def is_locale_tag(value: str) -> bool:
    """A BCP 47-shaped language tag (`de`, `de-AT`, also `de_AT` as some user attributes hold it)."""
    return LOCALE.fullmatch(value) is not None


def metadata_errors(value: object) -> list[str]:
    """Field-level problems with a ClientMetadata map, worded with key names only (never the values)."""
    if not isinstance(value, dict):
        return ["clientMetadata: must be an object of string keys to string values"]
    errors: list[str] = []
    if len(value) > MAX_KEYS:
        errors.append(f"clientMetadata: at most {MAX_KEYS} keys, got {len(value)}")
    total = 0
    for key, item in value.items():
        if not isinstance(key, str) or not _KEY.fullmatch(key) or len(key) > MAX_KEY_LENGTH:
            errors.append(
                f"clientMetadata: keys must be 1-{MAX_KEY_LENGTH} letters, digits or '_' starting with a letter"
            )
            continue
        field = f"clientMetadata.{key}"
        if not isinstance(item, str):
            errors.append(f"{field}: must be a string, got {type(item).__name__}")
            continue
        if len(item) > MAX_VALUE_LENGTH:
            errors.append(f"{field}: at most {MAX_VALUE_LENGTH} characters, got {len(item)}")
            continue
        shape = _SHAPES.get(key)
        if not is_safe_text(item):  # before encoding: a lone surrogate has no UTF-8 bytes to count
            errors.append(f"{field}: must be {shape[1]}" if shape else f"{field}: {UNSAFE_TEXT_PROBLEM}")
            continue
        total += len(key.encode()) + len(item.encode())
        if shape is not None and not shape[0].fullmatch(item):
            errors.append(f"{field}: must be {shape[1]}")
    if total > MAX_TOTAL_BYTES:
        errors.append(f"clientMetadata: at most {MAX_TOTAL_BYTES} bytes of keys and values, got {total}")
    return errors


def _recognised(raw: dict[object, object], key: str) -> str | None:
    item = raw.get(key)
    if not isinstance(item, str) or len(item) > MAX_VALUE_LENGTH:
        return None
    return item if _SHAPES[key][0].fullmatch(item) and is_safe_text(item) else None


class ResetMetadata(NamedTuple):
    """The recognised keys of a ClientMetadata map, each None when absent or malformed."""

    reason: str | None = None
    locale: str | None = None
    brand: str | None = None
    reference: str | None = None
    link: str | None = None

    @classmethod
    def from_client_metadata(cls, raw: object) -> ResetMetadata:
        """Read whatever Cognito handed over (missing, null, junk) without ever raising."""
        if not isinstance(raw, dict):
            return cls()
        return cls(
            reason=_recognised(raw, "reason"),
            locale=_recognised(raw, "locale"),
            brand=_recognised(raw, "brand"),
            reference=_recognised(raw, "reference"),
            link=_recognised(raw, "link"),
        )
