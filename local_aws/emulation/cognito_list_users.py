"""Cognito → ListUsers' Filter read and matched as the API Reference documents it, where moto matches every attribute
exactly (a status given as "confirmed" finds no one) and reads a quoted value up to its last quotation mark. Every
local account plays it (server.py).

Amazon Cognito API Reference, ListUsers, Filter:
  "A filter string of the form "AttributeName Filter-Type "AttributeValue"". Quotation marks within the filter string
  must be escaped using the backslash (\\) character. For example, "family_name = \\"Reddy\\"".
  - AttributeName: The name of the attribute to search for. You can only search for one attribute at a time.
  - Filter-Type: For an exact match, use =, for example, "given_name = \\"Jon\\"". For a prefix ("starts with") match,
    use ^=, for example, "given_name ^= \\"Jon\\"".
  - AttributeValue: The attribute value that must be matched for each user.
  If the filter string is empty, ListUsers returns all users in the user pool.
  You can only search for the following standard attributes: username (case-sensitive), email, phone_number, name,
  given_name, family_name, preferred_username, cognito:user_status (called Status in the Console)
  (case-insensitive), status (called Enabled in the Console) (case-sensitive), sub.
  Custom attributes aren't searchable."
(Earlier editions of the same page, still in some SDKs' docs, had the two status labels the other way round; the
text above is the current one, and the one botocore's model carries.)

Not documented, and how the local Cognito plays it:
- The case rule of email, phone_number, name, given_name, family_name, preferred_username and sub: matched exactly
  (moto's rule; nothing documents them as case-insensitive).
- username in a pool whose UsernameConfiguration ignores case: matched exactly, as the list says.
- The error for an attribute outside the list, or a filter that does not parse: ListUsers' documented error for a bad
  parameter, InvalidParameterException (its message is moto's).
- How a quotation mark or a backslash inside AttributeValue is written: a backslash escapes the next character
  (reset_password/directory.py writes values that way).
- Spaces around Filter-Type, and attribute names in another case: optional spaces; names as the list spells them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final

from moto.cognitoidp.exceptions import InvalidParameterException
from moto.cognitoidp.utils import PAGINATION_MODEL
from moto.utilities.paginator import paginate

from local_aws.emulation import moto_patches

EXACT: Final = "="
PREFIX: Final = "^="
# The searchable attributes and whether a search ignores case (API Reference, ListUsers, Filter; module docstring).
SEARCHABLE: Final[Mapping[str, bool]] = {
    "username": False,
    "email": False,
    "phone_number": False,
    "name": False,
    "given_name": False,
    "family_name": False,
    "preferred_username": False,
    "cognito:user_status": True,
    "status": False,
    "sub": False,
}
# AttributeName, Filter-Type, then the quoted AttributeValue, in which a backslash escapes the next character.
_FILTER: Final = re.compile(r'\s*(?P<name>[\w:]+)\s*(?P<operator>\^=|=)\s*"(?P<value>(?:[^"\\]|\\.)*)"\s*', re.DOTALL)
_ESCAPED: Final = re.compile(r"\\(.)", re.DOTALL)


@dataclass(frozen=True, slots=True)
class UserFilter:
    """One ListUsers Filter, parsed."""

    attribute: str
    operator: str
    value: str

    @classmethod
    def parse(cls, expression: str) -> UserFilter:
        """The filter, or InvalidParameterException where it does not parse or names an attribute not searchable."""
        match = _FILTER.fullmatch(expression)
        if match is None:
            raise InvalidParameterException("Error while parsing filter")
        attribute = match["name"]
        if attribute not in SEARCHABLE:
            raise InvalidParameterException(f"Invalid search attribute: {attribute}")
        return cls(attribute, match["operator"], _ESCAPED.sub(r"\1", match["value"]))

    def matches(self, found: str | None) -> bool:
        """Whether a user whose attribute is `found` (None: the user has none) is listed."""
        if found is None:
            return False
        wanted = self.value
        if SEARCHABLE[self.attribute]:
            found, wanted = found.casefold(), wanted.casefold()
        return found == wanted if self.operator == EXACT else found.startswith(wanted)


def searched_value(user: Any, attribute: str) -> str | None:
    """What a filter on `attribute` compares for this user (moto's user record)."""
    if attribute == "username":
        return str(user.username)
    if attribute == "status":
        return "Enabled" if user.enabled else "Disabled"
    if attribute == "cognito:user_status":
        return str(getattr(user.status, "value", user.status))
    values = {item["Name"]: item["Value"] for item in user.attributes}
    found = values.get(attribute)
    return None if found is None else str(found)


@contextmanager
def users_listed_as_cognito_documents() -> Iterator[None]:
    """ListUsers lists the users its Filter matches by the documented rule (module docstring), page by page as moto
    pages them."""

    def list_users(backend: Any, user_pool_id: str, filt: str) -> list[Any]:
        pool = backend.describe_user_pool(user_pool_id)  # ResourceNotFoundException, as moto answers
        users = list(pool.users.values())  # a snapshot: other threads may be adding users
        if not filt:
            return users
        user_filter = UserFilter.parse(filt)
        return [user for user in users if user_filter.matches(searched_value(user, user_filter.attribute))]

    # moto's own pagination (PaginationToken, Limit) over the users the filter keeps; it finds its settings by the
    # function's name, list_users.
    paginated: Callable[..., Any] = paginate(PAGINATION_MODEL)(list_users)
    with moto_patches.LIST_USERS_FILTERED.applied(paginated):
        yield
