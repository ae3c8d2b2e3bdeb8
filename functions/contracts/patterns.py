"""Identifiers that more than one part validates: the stack's settings, the reset request, the trigger's
ClientMetadata rules and brand book. Match with ``fullmatch``."""

from __future__ import annotations

import re
from typing import Final

# An AWS Region name (eu-west-1, us-gov-west-1, ap-southeast-4).
REGION: Final = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d")
# A user pool id is "<region>_<id>" (API Reference, UserPoolId: [\w-]+_[0-9a-zA-Z]+, at most 55 characters,
# contracts.cognito.USER_POOL_ID_MAX_LENGTH); the region part is named so the stack can grant per Region.
USER_POOL_ID: Final = re.compile(rf"(?P<region>{REGION.pattern})_[0-9a-zA-Z]+")
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


def anchored(pattern: re.Pattern[str]) -> str:
    """The pattern as a string that matches whole values only (pydantic's `pattern` searches anywhere)."""
    return rf"^(?:{pattern.pattern})$"
