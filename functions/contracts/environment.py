"""The environment variables each function reads: the stack sets them, the functions read them, the local emulation
and the tests set them, all by these names."""

from __future__ import annotations

from typing import Final

# Powertools' own variables, read by both functions (the custom message trigger reads them without Powertools).
POWERTOOLS_SERVICE_NAME: Final = "POWERTOOLS_SERVICE_NAME"
POWERTOOLS_METRICS_NAMESPACE: Final = "POWERTOOLS_METRICS_NAMESPACE"
POWERTOOLS_LOG_LEVEL: Final = "POWERTOOLS_LOG_LEVEL"
# Set by Lambda's advanced logging controls; the Powertools variable wins over it.
AWS_LAMBDA_LOG_LEVEL: Final = "AWS_LAMBDA_LOG_LEVEL"
_POWERTOOLS: Final = frozenset({POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE, POWERTOOLS_LOG_LEVEL})

# The reset function.
USER_POOL_ID: Final = "USER_POOL_ID"
ALLOWED_USER_POOL_IDS: Final = "ALLOWED_USER_POOL_IDS"
IDEMPOTENCY_TABLE_NAME: Final = "IDEMPOTENCY_TABLE_NAME"
COOLDOWN_SECONDS: Final = "COOLDOWN_SECONDS"
# The user's cooldown window (the stack's cooldownSeconds): after a reset, no path sends the user another code for this
# long unless an operator forces it. At least a code's life (a reset code lives one hour: Amazon Cognito Developer
# Guide, "Forgot password"); 0 turns the window off (the dedupe table still tells retries and keeps claims); at most a
# day.
DEFAULT_COOLDOWN_SECONDS: Final = 3600
MAX_COOLDOWN_SECONDS: Final = 86_400
AUDIT_EVENT_BUS_NAME: Final = "AUDIT_EVENT_BUS_NAME"
# The storm cap (reset_password/reset_cap.py): resets requested through events, per rolling hour, across every
# container. The event path serves integrations (a SIEM's finding, an HR system's offboarding), which ask for a handful
# of users an hour; a mass reset is a bulk run, started deliberately by an operator and bounded by its own budget. 100
# an hour leaves room for a busy incident's single resets, while a compromised integration can lock out at most 100
# users before the alarm has someone look. Unset: the event path is not capped.
EVENT_RESETS_PER_HOUR: Final = "EVENT_RESETS_PER_HOUR"
DEFAULT_EVENT_RESETS_PER_HOUR: Final = 100
MAX_EVENT_RESETS_PER_HOUR: Final = 100_000
# The storm cap's buckets in the dedupe table start with this: the only keys the reset role may UpdateItem or
# BatchGetItem (infra/reset_function.py).
CAP_KEY_PREFIX: Final = "cap#"
# Where a request the storm cap refused goes, beside the requests that could not be processed (the stack's
# failed-request queue).
FAILED_REQUEST_QUEUE_URL: Final = "FAILED_REQUEST_QUEUE_URL"
# Each container's share of the stack's rate budgets: Cognito calls per second, one variable per call category
# (reset_password/pacing.py): AdminResetUserPassword; AdminGetUser and ListUsers; AdminUserGlobalSignOut.
RESET_CALLS_PER_SECOND: Final = "RESET_CALLS_PER_SECOND"
LOOKUP_CALLS_PER_SECOND: Final = "LOOKUP_CALLS_PER_SECOND"
SIGN_OUT_CALLS_PER_SECOND: Final = "SIGN_OUT_CALLS_PER_SECOND"
# Each container's share of the SES account's send rate (1 / the reserved concurrency). Where the default pool sends
# e-mail through its own SES identity, a container reads SES's MaxSendRate once and paces its resets under
# MaxSendRate x this share too (reset_password/delivery_rate.py): every code is one e-mail.
SES_SEND_RATE_SHARE: Final = "SES_SEND_RATE_SHARE"
# "true" where the stack counts SES's delivery events per run (a configuration set publishes them): a bulk run's reset
# then records its recipient, hashed (reset_password/deliveries.py); elsewhere nothing would read the record.
DELIVERY_EVENTS_COUNTED: Final = "DELIVERY_EVENTS_COUNTED"
RESET_FUNCTION_VARIABLES: Final = _POWERTOOLS | {
    DELIVERY_EVENTS_COUNTED,
    SES_SEND_RATE_SHARE,
    RESET_CALLS_PER_SECOND,
    LOOKUP_CALLS_PER_SECOND,
    SIGN_OUT_CALLS_PER_SECOND,
    USER_POOL_ID,
    ALLOWED_USER_POOL_IDS,
    IDEMPOTENCY_TABLE_NAME,
    COOLDOWN_SECONDS,
    AUDIT_EVENT_BUS_NAME,
    EVENT_RESETS_PER_HOUR,
    FAILED_REQUEST_QUEUE_URL,
}

# The custom message trigger.
ALLOWED_LINK_HOSTS: Final = "ALLOWED_LINK_HOSTS"
DEFAULT_LOCALE: Final = "DEFAULT_LOCALE"
DEFAULT_BRAND: Final = "DEFAULT_BRAND"
# The pool's EmailSendingAccount (contracts.cognito.DEVELOPER or COGNITO_DEFAULT), set by the stack.
EMAIL_SENDING_ACCOUNT: Final = "EMAIL_SENDING_ACCOUNT"
# The pool's VerificationMessageTemplate.DefaultEmailOption (contracts.cognito.CONFIRM_WITH_CODE or
# CONFIRM_WITH_LINK), set by the stack.
EMAIL_VERIFICATION_OPTION: Final = "EMAIL_VERIFICATION_OPTION"
CUSTOM_MESSAGE_VARIABLES: Final = _POWERTOOLS | {
    ALLOWED_LINK_HOSTS,
    DEFAULT_LOCALE,
    DEFAULT_BRAND,
    EMAIL_SENDING_ACCOUNT,
    EMAIL_VERIFICATION_OPTION,
}

# The run summary function (the bulk workflow's last step): its logs, and the bus its audit event (the run's end) goes
# to; what it reads comes in its event.
RUN_SUMMARY_VARIABLES: Final = frozenset({POWERTOOLS_SERVICE_NAME, POWERTOOLS_LOG_LEVEL, AUDIT_EVENT_BUS_NAME})

# The delivery events function (SES's events counted per run): the reset function's dedupe table, where the runs'
# recipients and counts are kept (contracts.delivery_events).
DELIVERY_EVENTS_VARIABLES: Final = frozenset({POWERTOOLS_SERVICE_NAME, POWERTOOLS_LOG_LEVEL, IDEMPOTENCY_TABLE_NAME})
