"""Builds the optional reset-page link, only towards hosts the deployer allowed (no open redirect, no phishing)."""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import quote, urlsplit, urlunsplit

from contracts.patterns import HOST_NAME

# A base link is a plain URL: RFC 3986 characters only. Quotes, angle brackets, backslashes and spaces are refused
# rather than repaired, because browsers disagree on how to read them (``https://good\@evil`` and friends).
_URL_CHARACTERS: Final = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")
# Cognito replaces its code placeholder ({####}) after the trigger returns; percent-encoding it would stop that
# substitution, and what Cognito puts there for a verification or reset code is digits, which need no encoding.
_CODE_PLACEHOLDER: Final = re.compile(r"\{#+\}")


def build_reset_link(
    base: str | None, *, code: str | None, username: str | None, allowed_hosts: frozenset[str]
) -> str | None:
    """The link with ``code`` and ``username`` (each when given) added to its query, or None when it is not allowed.

    Allowed means: https, no user info, no port, a host equal (case-insensitively) to one of ``allowed_hosts``.
    """
    if not base or not allowed_hosts or not _URL_CHARACTERS.fullmatch(base):
        return None
    parts = urlsplit(base)
    if parts.scheme.lower() != "https" or not parts.netloc:
        return None
    host = parts.netloc.lower()
    # The netloc must be the bare host: "user@host" and "host:port" are the classic ways to dress up a foreign link.
    if not HOST_NAME.fullmatch(host) or host not in allowed_hosts:
        return None
    added = [f"{name}={_query_value(value)}" for name, value in (("code", code), ("username", username)) if value]
    query = "&".join([parts.query, *added] if parts.query else added)
    return urlunsplit(("https", host, parts.path or "/", query, parts.fragment))


def _query_value(value: str) -> str:
    if _CODE_PLACEHOLDER.fullmatch(value):
        return value
    return quote(value, safe="")
