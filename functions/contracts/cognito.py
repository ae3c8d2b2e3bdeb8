"""What Amazon Cognito documents and the product relies on; each fact names its source.

The trigger obeys these rules and the local emulation (local_aws/emulation/cognito.py) enforces them, so a test fails
when the product breaks one.
"""

from __future__ import annotations

from typing import Any, Final

# Amazon Cognito Developer Guide, "Custom message Lambda trigger" (trigger sources).
SIGN_UP: Final = "CustomMessage_SignUp"
ADMIN_CREATE_USER: Final = "CustomMessage_AdminCreateUser"
RESEND_CODE: Final = "CustomMessage_ResendCode"
FORGOT_PASSWORD: Final = "CustomMessage_ForgotPassword"  # noqa: S105 - a trigger source, not a password
UPDATE_USER_ATTRIBUTE: Final = "CustomMessage_UpdateUserAttribute"
VERIFY_USER_ATTRIBUTE: Final = "CustomMessage_VerifyUserAttribute"
AUTHENTICATION: Final = "CustomMessage_Authentication"
TRIGGER_SOURCES: Final = (
    SIGN_UP,
    ADMIN_CREATE_USER,
    RESEND_CODE,
    FORGOT_PASSWORD,
    UPDATE_USER_ATTRIBUTE,
    VERIFY_USER_ATTRIBUTE,
    AUTHENTICATION,
)

# Who asked (Developer Guide, "Custom message Lambda trigger" and "Lambda trigger parameters shared by all
# requests"): an administrator's API call (AdminResetUserPassword, AdminCreateUser) reaches the trigger with
# callerContext.clientId set to this value; a user's own request (ForgotPassword, SignUp, ...) carries the id of the
# app client it came through. Both an administrator's reset and a user's own "forgot password" arrive as
# CustomMessage_ForgotPassword: this is the only way to tell them apart.
ADMINISTRATOR_CLIENT_ID: Final = "CLIENT_ID_NOT_APPLICABLE"

# The trigger's answer (Developer Guide, "Custom message Lambda trigger", response parameters) and the longest value
# Cognito accepts in each field (API Reference, MessageTemplateType / VerificationMessageTemplateType: e-mail subject
# 1-140, e-mail message 6-20,000, SMS message 6-140 characters).
EMAIL_SUBJECT: Final = "emailSubject"
EMAIL_MESSAGE: Final = "emailMessage"
SMS_MESSAGE: Final = "smsMessage"
RESPONSE_FIELDS: Final = (EMAIL_SUBJECT, EMAIL_MESSAGE, SMS_MESSAGE)
EMAIL_FIELDS: Final = (EMAIL_SUBJECT, EMAIL_MESSAGE)
EMAIL_SUBJECT_LIMIT: Final = 140
EMAIL_MESSAGE_LIMIT: Final = 20_000
SMS_MESSAGE_LIMIT: Final = 140
RESPONSE_LIMITS: Final = {
    EMAIL_SUBJECT: EMAIL_SUBJECT_LIMIT,
    EMAIL_MESSAGE: EMAIL_MESSAGE_LIMIT,
    SMS_MESSAGE: SMS_MESSAGE_LIMIT,
}

# What Cognito puts in request.codeParameter / usernameParameter, and replaces after the trigger returns.
CODE_PLACEHOLDER: Final = "{####}"
USERNAME_PLACEHOLDER: Final = "{username}"
# The request.linkParameter real events carry (tests/events/custom_message/); the Developer Guide does not list it.
LINK_PLACEHOLDER: Final = "{##Click Here##}"

# How a pool sends e-mail (Developer Guide, "Custom message Lambda trigger", response parameters; API Reference,
# EmailConfigurationType): only a pool whose EmailSendingAccount is DEVELOPER (its own SES identity) accepts
# emailMessage/emailSubject from the trigger. Under COGNITO_DEFAULT, Cognito fails the caller's request
# (AdminResetUserPassword, ForgotPassword, ...) with InvalidLambdaResponseException when the trigger sets either.
# A pool without an EmailConfiguration sends as COGNITO_DEFAULT.
DEVELOPER: Final = "DEVELOPER"
COGNITO_DEFAULT: Final = "COGNITO_DEFAULT"
EMAIL_SENDING_ACCOUNTS: Final = (DEVELOPER, COGNITO_DEFAULT)

# How a pool's verification e-mail confirms a sign-up (API Reference, VerificationMessageTemplateType,
# DefaultEmailOption): with the code ({####}), or with a link that Cognito builds, for which the message "must contain
# link text in the format {##Click here##}" (the CustomMessage event's request.linkParameter). The reference names no
# default; an absent option is read as CONFIRM_WITH_CODE (CDK's UserPool writes it unless told otherwise), because an
# e-mail without the link still confirms with its code, whereas a placeholder nothing replaces reaches the user as it
# is.
CONFIRM_WITH_CODE: Final = "CONFIRM_WITH_CODE"
CONFIRM_WITH_LINK: Final = "CONFIRM_WITH_LINK"
EMAIL_VERIFICATION_OPTIONS: Final = (CONFIRM_WITH_CODE, CONFIRM_WITH_LINK)

# API Reference, AdminResetUserPassword: UserPoolId is 1-55 characters of [\w-]+_[0-9a-zA-Z]+.
USER_POOL_ID_MAX_LENGTH: Final = 55
# A user's status (API Reference, UserType.UserStatus): CONFIRMED signs in with their own password; RESET_REQUIRED
# after AdminResetUserPassword, until the user sets a new password with the code (ConfirmForgotPassword).
CONFIRMED: Final = "CONFIRMED"
RESET_REQUIRED: Final = "RESET_REQUIRED"
# Cognito's request-rate throttle (API Reference, Common Errors and each action's errors): a call refused for the rate,
# before it was processed.
TOO_MANY_REQUESTS: Final = "TooManyRequestsException"
INTERNAL_ERROR: Final = "InternalErrorException"
# How Cognito answers the caller when a Lambda trigger fails (API Reference, AdminResetUserPassword, Errors): the
# trigger raised (or refused), its answer was not one Cognito accepts, or it could not be run at all.
TRIGGER_FAILED: Final = "UserLambdaValidationException"
TRIGGER_ANSWER_INVALID: Final = "InvalidLambdaResponseException"
TRIGGER_NOT_RUN: Final = "UnexpectedLambdaException"

# Cognito's own e-mail sender (EmailSendingAccount COGNITO_DEFAULT) sends a limited number of e-mails a day per
# account (Developer Guide, "Quotas in Amazon Cognito": 50 e-mail messages a day per AWS account; API Reference,
# EmailConfigurationType: "For typical production environments, the default email limit is below the required
# delivery volume"). Past it, a call that would send one (AdminResetUserPassword, ForgotPassword) answers
# LimitExceededException with this message (the same exception as a user's too many attempts: the message tells them
# apart).
COGNITO_DEFAULT_DAILY_EMAILS: Final = 50
# A user's own limit, the same exception: what Cognito answers a user who asked for too many codes or confirmations
# (its message as Cognito words it; the quotas page names the limit, not the words).
ATTEMPT_LIMIT_MESSAGE: Final = "Attempt limit exceeded, please try after some time."
DAILY_EMAIL_LIMIT_MESSAGE: Final = (
    "Exceeded daily email limit for the operation or the account. If a higher limit is required, please configure "
    "your user pool to use your own Amazon SES configuration for sending email."
)

# How a code reaches the user (Developer Guide, "Recovering user accounts"): a verified e-mail address or a verified
# phone number, only one of them, chosen by the pool's AccountRecoverySetting in priority order (1 first); without
# one, the legacy order: a verified phone number, else a verified e-mail address. admin_only allows no self-service
# recovery. The code is valid for one hour.
VERIFIED_EMAIL: Final = "verified_email"
VERIFIED_PHONE_NUMBER: Final = "verified_phone_number"
ADMIN_ONLY: Final = "admin_only"
RECOVERY_CODE_VALID_SECONDS: Final = 3600

# How a pool that sends through its own SES identity (DEVELOPER) meets SES's sending quotas (Amazon SES Developer
# Guide, "Managing your Amazon SES sending quotas" and "Errors related to sending quotas": a maximum number of
# messages in any 24 hours and a maximum send rate, refused with SES's Throttling error and these messages). How
# Cognito relays SES's refusal is not documented: the reset function reads a LimitExceededException with either
# message as the delivery channel's limit, never as the user's attempt limit, and the local emulation plays it so.
SES_DAILY_QUOTA_MESSAGE: Final = "Daily message quota exceeded."
SES_RATE_MESSAGE: Final = "Maximum sending rate exceeded."


def forgot_password_event(
    *,
    region: str,
    pool_id: str,
    username: str,
    attributes: dict[str, str],
    client_metadata: dict[str, str],
    client_id: str = ADMINISTRATOR_CLIENT_ID,
) -> dict[str, Any]:
    """The event Cognito sends the CustomMessage trigger for a password reset code (Developer Guide, "Custom message
    Lambda trigger"): after an administrator's AdminResetUserPassword (no app client is involved, so
    callerContext.clientId is CLIENT_ID_NOT_APPLICABLE) or a user's own ForgotPassword (the app client's id). For the
    local system and the CLI's preview; the tests use recorded events (tests/events/custom_message/)."""
    return {
        "version": "1",
        "region": region,
        "userPoolId": pool_id,
        "userName": username,
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": client_id},
        "triggerSource": FORGOT_PASSWORD,
        "request": {
            "userAttributes": attributes,
            "codeParameter": CODE_PLACEHOLDER,
            "linkParameter": LINK_PLACEHOLDER,
            "usernameParameter": None,
            "clientMetadata": client_metadata,
        },
        "response": dict.fromkeys(RESPONSE_FIELDS),
    }
