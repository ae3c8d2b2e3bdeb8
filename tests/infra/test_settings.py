"""Settings from CDK context: defaults, `-c` strings, and a clear error for every bad value (no synth needed)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from contracts.events import AUDIT_SOURCE
from infra.settings import DEFAULT_EVENT_SOURCES, SETTING_KEYS, Settings, SettingsError
from tests.infra.conftest import PROJECT_ROOT, REQUESTERS, named_settings


def errors_of(context: dict[str, object]) -> str:
    with pytest.raises(SettingsError) as raised:
        named_settings(context)
    return str(raised.value)


def test_defaults_create_a_pool_with_a_dedicated_bus_dedupe_and_twenty_resets_per_second() -> None:
    settings = named_settings({})
    assert settings.creates_user_pool
    assert settings.event_bus_name is None
    assert settings.allowed_event_sources == DEFAULT_EVENT_SOURCES
    assert settings.rate_budget == 20
    assert settings.rate_budgets == (20.0, 20.0, 20.0)  # lookups and sign-outs default to rateBudget
    assert settings.cooldown_seconds == 3600  # a reset code's life
    assert settings.default_locale == "en"
    assert settings.log_retention_days == 90
    assert not settings.sends_email_through_ses
    assert settings.bulk_batch_size == 10
    assert settings.bulk_tolerated_failure_percentage == 5


def test_cli_strings_are_parsed_like_cdk_json_values() -> None:
    # `-c key=value` always arrives as a string.
    settings = named_settings(
        {
            "rateBudget": "12.5",
            "cooldownSeconds": "0",
            "allowedEventSources": "com.example.siem, com.example.hr",
            "allowedLinkHosts": '["reset.example.com","id.example.com"]',
            "additionalUserPoolIds": "eu-west-1_Second123",
            "logRetentionDays": "365",
            "existingUserPoolId": "eu-west-1_AbC123xyz",
        }
    )
    assert settings.rate_budget == 12.5
    assert settings.cooldown_seconds == 0
    assert settings.allowed_event_sources == ("com.example.siem", "com.example.hr")
    assert settings.allowed_link_hosts == ("reset.example.com", "id.example.com")
    assert settings.additional_user_pool_ids == ("eu-west-1_Second123",)
    assert settings.log_retention_days == 365
    assert settings.pool_region == "eu-west-1"


@pytest.mark.parametrize(
    ("rate", "concurrency"),
    [(0.5, 2), (4, 2), (8, 2), (20, 5), (21, 6), (50, 13), (1000, 250)],
)
def test_reserved_concurrency_is_the_rate_budget_times_the_fastest_reset(rate: float, concurrency: int) -> None:
    assert named_settings({"rateBudget": rate}).reserved_concurrency == concurrency


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"existingUserPoolId": "my-pool"}, "existingUserPoolId: 'my-pool' is not a user pool id"),
        ({"rateBudget": 0}, "rateBudget: must be more than 0 and at most 1000"),
        ({"rateBudget": "fast"}, "rateBudget: must be a number, got 'fast'"),
        ({"rateBudget": True}, "rateBudget: must be a number, got a boolean"),
        ({"rateBudget": 5000}, "rateBudget: must be more than 0 and at most 1000"),
        ({"lookupRateBudget": 0}, "lookupRateBudget: must be more than 0 and at most 1000 calls per second"),
        ({"signOutRateBudget": "slow"}, "signOutRateBudget: must be a number, got 'slow'"),
        ({"cooldownSeconds": -1}, "cooldownSeconds: must be 0 (off) to 86400 seconds, got -1"),
        ({"cooldownSeconds": 1.5}, "cooldownSeconds: must be a whole number, got 1.5"),
        ({"logRetentionDays": 10}, "logRetentionDays: must be one of CloudWatch's retention periods"),
        ({"alarmEmail": "ops"}, "alarmEmail: 'ops' is not an e-mail address"),
        ({"allowedEventSources": []}, "allowedEventSources: at least one event source is needed"),
        ({"allowedEventSources": ["aws.cognito"]}, "allowedEventSources[0]: 'aws.cognito' is reserved for AWS"),
        ({"allowedEventSources": [AUDIT_SOURCE]}, "the source of the reset function's own audit events"),
        ({"allowedEventSources": 7}, "allowedEventSources: must be a list (or a comma-separated string), got int"),
        (
            {"allowedLinkHosts": ["https://reset.example.com"]},
            "allowedLinkHosts[0]: 'https://reset.example.com' is not a host",
        ),
        ({"defaultLocale": "german"}, "defaultLocale: 'german' is not a BCP 47 language tag"),
        ({"defaultBrand": "ACME Inc"}, "defaultBrand: 'ACME Inc' is not a lower-case brand id"),
        ({"eventBusName": "aws.partner/x"}, "eventBusName: 'aws.partner/x' is reserved for AWS partner buses"),
        ({"sesFromAddress": "no-reply@example.com"}, "sesRegion: required with sesFromAddress"),
        ({"sesRegion": "eu-west-1"}, "sesRegion: only applies together with sesFromAddress"),
        (
            {"sesFromAddress": "no-reply@example.com", "sesRegion": "eu-west-1", "sesVerifiedDomain": "other.com"},
            "sesFromAddress: must be an address of sesVerifiedDomain",
        ),
        (
            {"existingUserPoolId": "eu-west-1_AbC123xyz", "sesFromAddress": "a@example.com", "sesRegion": "eu-west-1"},
            "sesFromAddress: the stack configures e-mail only for a pool it creates",
        ),
        (
            {"existingUserPoolSmsRoleArn": "arn:aws:iam::123456789012:role/sms"},
            "only applies together with existingUserPoolId",
        ),
        (
            {"existingUserPoolId": "eu-west-1_AbC123xyz", "existingUserPoolSmsRoleArn": "sms"},
            "'sms' is not an IAM role ARN",
        ),
        (
            {"existingUserPoolId": "eu-west-1_AbC123xyz", "additionalUserPoolIds": ["eu-west-1_AbC123xyz"]},
            "additionalUserPoolIds: lists existingUserPoolId again",
        ),
        ({"bulkBatchSize": 0}, "bulkBatchSize: must be 1 to 100 requests per batch, got 0"),
        ({"bulkToleratedFailurePercentage": 120}, "bulkToleratedFailurePercentage: must be a percentage from 0 to 100"),
        (
            {"existingUserPoolId": "eu-west-1_AbC123xyz", "additionalUserPoolIds": ["us-east-1_Other1"]},
            "additionalUserPoolIds: every pool must be in one Region with the stack",
        ),
        ({"rateBugdet": 5}, "rateBugdet: not a setting of this stack (did you mean 'rateBudget'?)"),
    ],
)
def test_a_bad_value_names_its_key_and_what_is_expected(context: dict[str, object], message: str) -> None:
    assert message in errors_of(context)


def test_every_problem_is_reported_at_once() -> None:
    message = errors_of({"rateBudget": -1, "cooldownSeconds": "soon", "alarmEmail": "x"})
    assert message.count("\n  - ") == 3


def test_cdk_and_toolkit_context_keys_are_not_mistaken_for_settings() -> None:
    named_settings(
        {
            "@aws-cdk/core:newStyleStackSynthesis": True,
            "aws:cdk:bundling-stacks": [],
            "cli-telemetry": False,
            "availability-zones:account=123456789012:region=eu-west-1": ["eu-west-1a"],
        }
    )


def test_empty_strings_mean_unset() -> None:
    settings = named_settings({"existingUserPoolId": "", "alarmEmail": " "})
    assert settings.creates_user_pool
    assert settings.alarm_email is None


@pytest.mark.parametrize("key", SETTING_KEYS)
def test_every_setting_is_documented_in_the_deploy_guide(key: str) -> None:
    guide = (PROJECT_ROOT / "docs" / "deploy.md").read_text()
    assert f"| `{key}` |" in guide


def test_value_problems_combination_problems_and_misspelt_keys_are_listed_together() -> None:
    message = errors_of({"rateBudget": "fast", "sesRegion": "eu-west-1", "rateBugdet": 5})
    assert message.splitlines()[1:] == [
        "  - rateBudget: must be a number, got 'fast'",
        "  - sesRegion: only applies together with sesFromAddress",
        "  - rateBugdet: not a setting of this stack (did you mean 'rateBudget'?)",
    ]


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (
            "existing_user_pool_id",
            "existing_user_pool_id: not a setting of this stack (did you mean 'existingUserPoolId'?)",
        ),
        ("alarmMail", "alarmMail: not a setting of this stack (did you mean 'alarmEmail'?)"),
        ("zzz", "zzz: not a setting of this stack (known settings: existingUserPoolId, "),
    ],
)
def test_an_unknown_key_gets_a_hint(key: str, message: str) -> None:
    assert message in errors_of({key: "x"})


def test_every_bad_item_of_a_list_is_named_by_its_index() -> None:
    message = errors_of({"allowedLinkHosts": "reset.example.com, https://a.example.com, a b"})
    assert "allowedLinkHosts[1]: 'https://a.example.com' is not a host name" in message
    assert "allowedLinkHosts[2]: 'a b' is not a host name" in message


def test_host_names_are_kept_in_lower_case() -> None:
    settings = named_settings({"allowedLinkHosts": ["Reset.Example.COM"]})
    assert settings.allowed_link_hosts == ("reset.example.com",)


def test_settings_built_in_python_follow_the_same_rules_and_stay_frozen() -> None:
    settings = Settings(rate_budget=5, reset_requesters=REQUESTERS)
    assert settings.reserved_concurrency == 2
    with pytest.raises(ValidationError, match="existingUserPoolSmsRoleArn: only applies together with"):
        Settings(existing_user_pool_sms_role_arn="arn:aws:iam::123456789012:role/sms", reset_requesters=REQUESTERS)
    with pytest.raises(ValidationError, match="resetRequesters: name who may ask for resets"):
        Settings(rate_budget=5)
    with pytest.raises(ValidationError):
        settings.rate_budget = 6
