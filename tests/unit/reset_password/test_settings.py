from __future__ import annotations

import pytest
from pydantic import ValidationError

from contracts import environment as env
from reset_password.settings import ResetSettings, SettingsError


def test_the_default_pool_alone_is_the_allowlist() -> None:
    settings = ResetSettings.from_environment({env.USER_POOL_ID: "eu-west-1_Pool1"})

    assert settings.default_user_pool_id == "eu-west-1_Pool1"
    assert settings.allowed_user_pool_ids == frozenset({"eu-west-1_Pool1"})
    assert (settings.idempotency_table_name, settings.cooldown_seconds, settings.audit_event_bus_name) == (
        None,
        3600,
        None,
    )


def test_an_allowlist_without_a_default_pool() -> None:
    settings = ResetSettings.from_environment(
        {
            env.ALLOWED_USER_POOL_IDS: " eu-west-1_A1, eu-west-1_B2 ,",
            env.IDEMPOTENCY_TABLE_NAME: "t",
            env.COOLDOWN_SECONDS: "60",
        }
    )

    assert settings.default_user_pool_id is None
    assert settings.allowed_user_pool_ids == frozenset({"eu-west-1_A1", "eu-west-1_B2"})
    assert (settings.idempotency_table_name, settings.cooldown_seconds) == ("t", 60)


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({}, "USER_POOL_ID or ALLOWED_USER_POOL_IDS"),
        ({env.USER_POOL_ID: "not-a-pool"}, "USER_POOL_ID:"),
        ({env.ALLOWED_USER_POOL_IDS: "eu-west-1_A1,bad pool"}, "ALLOWED_USER_POOL_IDS:"),
        (
            {env.USER_POOL_ID: "eu-west-1_A1", env.ALLOWED_USER_POOL_IDS: "eu-west-1_B2"},
            "USER_POOL_ID: the default pool",
        ),
        ({env.USER_POOL_ID: "eu-west-1_A1", env.COOLDOWN_SECONDS: "-1"}, "COOLDOWN_SECONDS:"),
        ({env.USER_POOL_ID: "eu-west-1_A1", env.COOLDOWN_SECONDS: "15m"}, "COOLDOWN_SECONDS:"),
        ({env.USER_POOL_ID: "eu-west-1_A1", env.COOLDOWN_SECONDS: "86401"}, "COOLDOWN_SECONDS:"),
    ],
)
def test_a_configuration_it_cannot_run_with_names_the_variable(environ: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError) as raised:
        ResetSettings.from_environment(environ)

    assert str(raised.value).startswith(named)


def test_every_bad_variable_is_named_at_once() -> None:
    with pytest.raises(SettingsError) as raised:
        ResetSettings.from_environment({env.USER_POOL_ID: "bad", env.COOLDOWN_SECONDS: "soon"})

    assert str(raised.value) == (
        "USER_POOL_ID: 'bad' is not a user pool id (like eu-west-1_AbC123xyz); "
        "COOLDOWN_SECONDS: must be a whole number of seconds from 0 (off) to 86400"
    )


def test_blank_variables_count_as_unset_and_the_settings_are_frozen() -> None:
    settings = ResetSettings.from_environment(
        {env.USER_POOL_ID: " eu-west-1_A1 ", env.ALLOWED_USER_POOL_IDS: " , ", env.COOLDOWN_SECONDS: " "}
    )

    assert (settings.default_user_pool_id, settings.allowed_user_pool_ids) == (
        "eu-west-1_A1",
        frozenset({"eu-west-1_A1"}),
    )
    assert settings.cooldown_seconds == 3600  # at least a code's life
    with pytest.raises(ValidationError):
        settings.cooldown_seconds = 1
