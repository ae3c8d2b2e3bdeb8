"""Every variable contracts.environment lists for a function is one its settings actually read: setting it (to a
valid value) changes what the function runs with. The stack sets only these (tests/infra/test_function_contracts.py).
"""

from __future__ import annotations

import pytest

from contracts import environment as env
from contracts import telemetry
from contracts.cognito import CONFIRM_WITH_LINK, DEVELOPER
from custom_message.settings import Settings
from reset_password import observability
from reset_password.settings import ResetSettings

POOL = "eu-west-1_Pool1"
CUSTOM_MESSAGE_SAMPLES = {
    env.ALLOWED_LINK_HOSTS: "reset.example.com",
    env.DEFAULT_LOCALE: "de",
    env.DEFAULT_BRAND: "acme",
    env.EMAIL_SENDING_ACCOUNT: DEVELOPER,
    env.EMAIL_VERIFICATION_OPTION: CONFIRM_WITH_LINK,
    env.POWERTOOLS_SERVICE_NAME: "renamed",
    env.POWERTOOLS_METRICS_NAMESPACE: "Renamed",
    env.POWERTOOLS_LOG_LEVEL: "DEBUG",
}
RESET_SAMPLES = {
    env.USER_POOL_ID: POOL,
    env.ALLOWED_USER_POOL_IDS: f"{POOL},eu-west-1_Pool2",
    env.IDEMPOTENCY_TABLE_NAME: "dedupe",
    env.COOLDOWN_SECONDS: "60",
    env.AUDIT_EVENT_BUS_NAME: "audit",
    env.RESET_CALLS_PER_SECOND: "4",
    env.LOOKUP_CALLS_PER_SECOND: "8",
    env.SIGN_OUT_CALLS_PER_SECOND: "2",
    env.SES_SEND_RATE_SHARE: "0.25",
    env.DELIVERY_EVENTS_COUNTED: "true",
    env.EVENT_RESETS_PER_HOUR: "100",
    env.FAILED_REQUEST_QUEUE_URL: "https://sqs.eu-west-1.amazonaws.com/123456789012/failed",
}


def test_the_samples_cover_every_variable_of_each_function() -> None:
    assert set(CUSTOM_MESSAGE_SAMPLES) == env.CUSTOM_MESSAGE_VARIABLES
    # Powertools reads its own three at import time (reset_password/observability.py and Powertools' Logger).
    assert set(RESET_SAMPLES) == env.RESET_FUNCTION_VARIABLES - {
        env.POWERTOOLS_SERVICE_NAME,
        env.POWERTOOLS_METRICS_NAMESPACE,
        env.POWERTOOLS_LOG_LEVEL,
    }


@pytest.mark.parametrize("variable", sorted(CUSTOM_MESSAGE_SAMPLES))
def test_each_custom_message_variable_changes_the_settings(variable: str) -> None:
    assert Settings.from_environment({variable: CUSTOM_MESSAGE_SAMPLES[variable]}) != Settings.from_environment({})


@pytest.mark.parametrize("variable", sorted(set(RESET_SAMPLES) - {env.USER_POOL_ID}))
def test_each_reset_variable_changes_the_settings(variable: str) -> None:
    baseline = {env.USER_POOL_ID: POOL}
    changed = ResetSettings.from_environment({**baseline, variable: RESET_SAMPLES[variable]})
    assert changed != ResetSettings.from_environment(baseline)


def test_the_reset_function_reports_under_the_contract_names_by_default() -> None:
    assert (observability.SERVICE, observability.NAMESPACE) == (telemetry.RESET_SERVICE, telemetry.NAMESPACE)
