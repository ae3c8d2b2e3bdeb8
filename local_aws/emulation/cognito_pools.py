"""Cognito → a user pool's settings as DescribeUserPool reports them: moto keeps AdminCreateUserConfig as the request
gave it, so a pool created without UnusedAccountValidityDays reports moto's default of it only when the request had no
AdminCreateUserConfig at all, and an UpdateUserPool that leaves it out (as it must beside
TemporaryPasswordValidityDays) drops it. Cognito fills it in; every local account plays that (server.py).

What the documents say:
- Amazon Cognito API Reference, AdminCreateUserConfigType, UnusedAccountValidityDays: "This parameter is no longer in
  use. Configure the duration of temporary passwords with the TemporaryPasswordValidityDays parameter of
  PasswordPolicyType. For older user pools that have a UnusedAccountValidityDays configuration, that value is effective
  until you set a value for TemporaryPasswordValidityDays."
- API Reference, PasswordPolicyType, TemporaryPasswordValidityDays: "Defaults to 7. If you submit a value of 0, Amazon
  Cognito treats it as a null value and sets TemporaryPasswordValidityDays to its default value." and "When you set
  TemporaryPasswordValidityDays for a user pool, you can no longer set a value for the legacy
  UnusedAccountValidityDays parameter in that user pool."
- API Reference, CreateUserPool, example "Example user pool with email and username sign-in": the request's
  AdminCreateUserConfig has no UnusedAccountValidityDays and its PasswordPolicy has TemporaryPasswordValidityDays 7;
  the answer's AdminCreateUserConfig has "UnusedAccountValidityDays": 7.

Inferred, not documented: that Cognito fills the field in on every CreateUserPool and UpdateUserPool, and that it
copies the password policy's TemporaryPasswordValidityDays (the documented example has 7 on both sides, which a fixed
default of 7 would explain as well). The refusal of both fields in one request (InvalidParameterException "Please use
TemporaryPasswordValidityDays in PasswordPolicy instead of UnusedAccountValidityDays", with 0 accepted as no value) is
what callers observe (aws/aws-sdk-js issue 3817, hashicorp/terraform-provider-aws pull request 8845); the API
Reference only says the legacy field can "no longer" be set.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Final

from moto.cognitoidp.exceptions import InvalidParameterException

from local_aws.emulation import moto_patches

ADMIN_CREATE_USER_CONFIG: Final = "AdminCreateUserConfig"
UNUSED_ACCOUNT_VALIDITY_DAYS: Final = "UnusedAccountValidityDays"
TEMPORARY_PASSWORD_VALIDITY_DAYS: Final = "TemporaryPasswordValidityDays"  # noqa: S105 - a field name
# API Reference, PasswordPolicyType: "Defaults to 7"; 0 counts as no value.
DEFAULT_TEMPORARY_PASSWORD_VALIDITY_DAYS: Final = 7
BOTH_VALIDITIES_REFUSED: Final = (
    "Please use TemporaryPasswordValidityDays in PasswordPolicy instead of UnusedAccountValidityDays"
)


def _password_policy(config: Mapping[str, Any]) -> Mapping[str, Any]:
    policies = config.get("Policies") or {}
    return policies.get("PasswordPolicy") or {}


def temporary_password_validity_days(config: Mapping[str, Any]) -> int:
    """The pool's TemporaryPasswordValidityDays, its documented default where it has none (or 0)."""
    days = _password_policy(config).get(TEMPORARY_PASSWORD_VALIDITY_DAYS)
    return int(days) if days else DEFAULT_TEMPORARY_PASSWORD_VALIDITY_DAYS


def _legacy_validity(request: Mapping[str, Any]) -> int | None:
    """The UnusedAccountValidityDays a request sets (None for none, or for 0, which Cognito takes as no value)."""
    days = (request.get(ADMIN_CREATE_USER_CONFIG) or {}).get(UNUSED_ACCOUNT_VALIDITY_DAYS)
    return int(days) if days else None


@contextmanager
def pools_described_as_cognito_does() -> Iterator[None]:
    """CreateUserPool and UpdateUserPool store AdminCreateUserConfig.UnusedAccountValidityDays as the pool's
    TemporaryPasswordValidityDays, and refuse a request that sets both (module docstring: the documents, and what is
    inferred). A request that sets only the legacy field keeps it, as moto does."""
    original = moto_patches.POOL_SETTINGS_STORED.original()

    def update_extended_config(pool: Any, extended_config: dict[str, Any]) -> None:
        request = extended_config or {}
        legacy = _legacy_validity(request)
        if legacy is not None and _password_policy(request).get(TEMPORARY_PASSWORD_VALIDITY_DAYS):
            raise InvalidParameterException(BOTH_VALIDITIES_REFUSED)
        original(pool, extended_config)
        if legacy is not None:
            return
        # A new mapping: moto's stored config may share its nested defaults with every other pool.
        stored = dict(pool.extended_config.get(ADMIN_CREATE_USER_CONFIG) or {})
        stored[UNUSED_ACCOUNT_VALIDITY_DAYS] = temporary_password_validity_days(pool.extended_config)
        pool.extended_config[ADMIN_CREATE_USER_CONFIG] = stored

    with moto_patches.POOL_SETTINGS_STORED.applied(update_extended_config):
        yield
