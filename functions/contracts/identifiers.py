"""How a row's identifier finds its user, per pool configuration: the pool's sign-in rules (`PoolRules`, read from
DescribeUserPool) and when two identifiers of one kind name the same user (`identifier_key`). Standard library only:
the reset function resolves rows by these rules and the operator CLI warns of duplicate rows by the same key.
docs/identifiers.md explains the rules and their sources.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

IdentifierKind = Literal["username", "email", "sub"]
IDENTIFIER_KINDS: Final[tuple[IdentifierKind, ...]] = ("username", "email", "sub")
EMAIL: Final = "email"


def _names(value: object) -> frozenset[str]:
    return frozenset(str(item) for item in value) if isinstance(value, list | tuple) else frozenset()


@dataclass(frozen=True, slots=True)
class PoolRules:
    """What a user pool says about the names its users sign in with (API Reference, UserPoolType): the attributes that
    stand in for a username (UsernameAttributes), the attributes that are aliases of one (AliasAttributes), and whether
    a name's case matters (UsernameConfiguration.CaseSensitive).

    The defaults are a pool created through the API without these settings: no username attributes, no aliases, and
    case-sensitive names (API Reference, UsernameConfigurationType, CaseSensitive: true "Enables case sensitivity for
    all username input ... This is the default value")."""

    username_attributes: frozenset[str] = frozenset()
    alias_attributes: frozenset[str] = frozenset()
    case_sensitive: bool = True

    @classmethod
    def of_user_pool(cls, pool: Mapping[str, object]) -> PoolRules:
        """The rules of DescribeUserPool's `UserPool`. A pool without UsernameConfiguration is case-sensitive."""
        configuration = pool.get("UsernameConfiguration")
        case_sensitive = configuration.get("CaseSensitive") if isinstance(configuration, Mapping) else None
        return cls(
            username_attributes=_names(pool.get("UsernameAttributes")),
            alias_attributes=_names(pool.get("AliasAttributes")),
            case_sensitive=case_sensitive is not False,
        )

    @property
    def signs_in_with_email(self) -> bool:
        """Whether an e-mail address names a user at sign-in, and so in AdminGetUser: as the username
        (UsernameAttributes) or as an alias of it (AliasAttributes; only once the address is verified). API Reference,
        AdminGetUser, Username: "typically your user's username, but it can be any of their alias attributes"."""
        return EMAIL in self.username_attributes or EMAIL in self.alias_attributes

    @property
    def email_ignores_case(self) -> bool:
        """Whether an e-mail address in another case names the same user: where e-mail signs in and the pool ignores
        case (API Reference, UsernameConfigurationType, CaseSensitive false: "This option also enables both
        preferred_username and email alias to be case insensitive"; CloudFormation, AWS::Cognito::UserPool
        UsernameConfiguration: "for email, email@example.com or EMaiL@eXamplE.Com")."""
        return self.signs_in_with_email and not self.case_sensitive


def identifier_key(kind: IdentifierKind, value: str, rules: PoolRules | None) -> str:
    """A key under which two identifiers of the same kind, in the same pool, are equal exactly when they name the same
    user as the reset function finds it. `rules` None: the pool's configuration is unknown, and only what holds in
    every pool is folded (the function then looks e-mail addresses up exactly, as it does when it cannot read the pool).

    - username: casefolded where the pool ignores case (API Reference, UsernameConfigurationType), exact otherwise;
      AdminGetUser finds the user the way sign-in does.
    - email: casefolded where the pool takes e-mail as its username or an alias and ignores case (`PoolRules.
      email_ignores_case`; AdminGetUser finds the user); exact otherwise: there the function looks the address up with
      ListUsers' `=` filter, and the API Reference (ListUsers, Filter) says nothing of the case of `email`, which the
      local emulation plays as an exact match (local_aws/emulation/cognito_list_users.py).
    - sub: lower-cased. A sub is a UUID (Developer Guide, "User pool attributes": sub is the user's unique identifier),
      whose hex digits have no case; Cognito writes them in lower case and the function looks up the lower-case form.

    How Cognito folds the case of letters beyond ASCII is not documented: casefold() stands in for it here and in
    the local emulation.
    """
    if kind == "sub":
        return value.lower()
    if kind == "username":
        folds = rules is not None and not rules.case_sensitive
    else:
        folds = rules is not None and rules.email_ignores_case
    return value.casefold() if folds else value
