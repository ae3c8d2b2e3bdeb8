"""Identifiers that more than one part validates: the stack's settings, the reset request, the trigger's
ClientMetadata rules and brand book. Match with ``fullmatch``. Also what makes untrusted text safe to take at all."""

from __future__ import annotations

import re
import unicodedata
from typing import Final

# An AWS Region name (eu-west-1, us-gov-west-1, ap-southeast-4).
REGION: Final = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d")
# A user pool id is "<region>_<id>" (API Reference, UserPoolId: [\w-]+_[0-9a-zA-Z]+, at most 55 characters,
# contracts.cognito.USER_POOL_ID_MAX_LENGTH); the region part is named so the stack can grant per Region.
USER_POOL_ID: Final = re.compile(rf"(?P<region>{REGION.pattern})_[0-9a-zA-Z]+")
# The SES identity a pool sends from under EmailSendingAccount DEVELOPER (API Reference, EmailConfigurationType,
# SourceArn): arn:<partition>:ses:<region>:<account>:identity/<address or domain>; the operator CLI asks SES about it
# and the local SES counts it as the account's own.
SES_IDENTITY_ARN: Final = re.compile(
    rf"arn:aws[a-z-]*:ses:(?P<region>{REGION.pattern}):\d{{12}}:identity/(?P<identity>.+)"
)
# A BCP 47-shaped language tag: `de`, `de-AT`, also `de_AT` as some user attributes hold it.
LOCALE: Final = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8}){0,3}")
# A brand id: a lower-case key of the brand book and a template directory name.
BRAND_ID: Final = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
# A host name in lower case (RFC 1123 labels): link hosts the trigger may link to.
HOST_NAME: Final = re.compile(
    r"(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*"
)
# An e-mail address as the product accepts one: no space, control character, quote, backslash or angle bracket (so it
# can never break out of a ListUsers filter or a header), one @, a domain with a dot.
EMAIL_ADDRESS: Final = re.compile(
    r"[^\s\x00-\x1f\x7f\"\\@<>]{1,64}@[^\s\x00-\x1f\x7f\"\\@<>]+\.[^\s\x00-\x1f\x7f\"\\@<>.]{2,63}"
)


# Characters no identifier and no ClientMetadata value may hold (Unicode general categories): controls (Cc: C0, DEL
# and C1), format characters (Cf: zero-width spaces and joiners, bidi embeddings, overrides and isolates, the BOM),
# line and paragraph separators (Zl, Zp) and surrogates (Cs). A surrogate in a str decoded from JSON is a lone one
# ("\ud800"; a valid pair decodes to one character): it cannot be encoded to UTF-8, so it could never reach Cognito.
# Cognito's Username pattern refuses every one of these too: [\p{L}\p{M}\p{S}\p{N}\p{P}]+ (API Reference,
# AdminResetUserPassword, Request Parameters).
UNSAFE_TEXT_CATEGORIES: Final = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
# How a refusal words it (never quoting the text).
UNSAFE_TEXT_PROBLEM: Final = "has a control, format or separator character, or a lone surrogate"
# Most text is printable ASCII, which holds none of them: that skips the per-character Unicode lookup.
PRINTABLE_ASCII: Final = re.compile(r"[\x20-\x7e]*")


def is_safe_text(value: str) -> bool:
    """True when the text holds no control, format, line/paragraph separator or lone surrogate character."""
    if PRINTABLE_ASCII.fullmatch(value):
        return True
    return not any(unicodedata.category(ch) in UNSAFE_TEXT_CATEGORIES for ch in value)


def anchored(pattern: re.Pattern[str]) -> str:
    """The pattern as a string that matches whole values only (pydantic's `pattern` searches anywhere)."""
    return rf"^(?:{pattern.pattern})$"
