"""The deployment examined: the facts delivery.py decides on, read from AWS (and from the local system alike).

Cognito DescribeUserPool (EmailConfiguration, SmsConfiguration, AccountRecoverySetting, LambdaConfig.CustomMessage);
for a pool that sends through SES, SES v2 GetAccount and GetEmailIdentity in the Region of the pool's SES identity;
with an SMS configuration, SNS GetSMSSandboxAccountStatus; the alarms on the stack's alarm topic (CloudWatch
DescribeAlarms); the stack's outputs. Only the pool's own reading is required: whatever else cannot be read is
"unknown" in the facts, with the reason where it matters. Nothing read here names a user.
"""

from __future__ import annotations

from typing import Any, Final

from botocore.exceptions import BotoCoreError, ClientError

from cognito_reset.delivery import AlarmFacts, DeliveryFacts, SesFacts
from cognito_reset.stack import AwsAccess, StackResources
from contracts import stack as outputs
from contracts.cognito import COGNITO_DEFAULT, DEVELOPER
from contracts.patterns import SES_IDENTITY_ARN

# SES API Reference (v2), GetEmailIdentity: an identity the account does not have.
NOT_FOUND: Final = "NotFoundException"
IN_ALARM: Final = "ALARM"


def read_delivery(
    aws: AwsAccess, resources: StackResources, pool_id: str | None = None, *, with_alarms: bool = True
) -> DeliveryFacts:
    """What the pool (default: the stack's) can deliver, and with `with_alarms` the stack's alarms. Raises ClientError
    or BotoCoreError when the pool itself cannot be read."""
    stacks_pool = resources.outputs.get(outputs.USER_POOL_ID)
    pool_id = pool_id or resources.require(outputs.USER_POOL_ID)
    pool = aws.client("cognito-idp").describe_user_pool(UserPoolId=pool_id)["UserPool"]
    email = pool.get("EmailConfiguration") or {}
    sending_account = str(email.get("EmailSendingAccount") or COGNITO_DEFAULT)
    source_arn = email.get("SourceArn")
    sms = pool.get("SmsConfiguration") or {}
    mechanisms = (pool.get("AccountRecoverySetting") or {}).get("RecoveryMechanisms") or []
    recovery = tuple(str(m["Name"]) for m in sorted(mechanisms, key=lambda m: int(m.get("Priority", 0)))) or None
    return DeliveryFacts(
        pool_id=pool_id,
        sending_account=sending_account,
        from_address=email.get("From") or _identity_address(source_arn),
        source_arn=source_arn,
        configuration_set=email.get("ConfigurationSet") or None,
        ses=read_ses(aws, source_arn) if sending_account == DEVELOPER and source_arn else None,
        sms_configured=bool(sms.get("SnsCallerArn")),
        sms_sandbox=read_sms_sandbox(aws, sms.get("SnsRegion")) if sms.get("SnsCallerArn") else None,
        recovery=recovery,
        trigger=(pool.get("LambdaConfig") or {}).get("CustomMessage"),
        # The stack attaches its trigger to its own pool only: another allowed pool is not compared with it.
        stack_trigger=resources.outputs.get(outputs.CUSTOM_MESSAGE_FUNCTION_ARN) if pool_id == stacks_pool else None,
        rate_budget=_number(resources.outputs.get(outputs.RESET_RATE_BUDGET)),
        alarms=read_alarms(aws, resources.outputs.get(outputs.ALARM_TOPIC_ARN)) if with_alarms else None,
    )


def _identity_address(source_arn: str | None) -> str | None:
    identity = _ses_identity(source_arn)
    return identity[1] if identity and "@" in identity[1] else None


def _ses_identity(source_arn: str | None) -> tuple[str, str] | None:
    """(Region, identity) of the pool's SES identity ARN."""
    match = SES_IDENTITY_ARN.fullmatch(source_arn or "")
    return (match["region"], match["identity"]) if match else None


def read_ses(aws: AwsAccess, source_arn: str) -> SesFacts:
    """The pool's SES identity and its Region's SES account (GetAccount, GetEmailIdentity)."""
    identity = _ses_identity(source_arn)
    if identity is None:
        return SesFacts(region="?", identity=source_arn, unread="the SourceArn is not an SES identity ARN")
    region, name = identity
    try:
        ses = aws.client("sesv2", region=region)
        account = ses.get_account()
    except (ClientError, BotoCoreError) as error:
        return SesFacts(region=region, identity=name, unread=_reason(error))
    quota = account.get("SendQuota") or {}
    try:
        verified: bool | None = bool(ses.get_email_identity(EmailIdentity=name).get("VerifiedForSendingStatus"))
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != NOT_FOUND:
            return _account_facts(region, name, account, quota, unread=_reason(error))
        verified = False  # not an identity of the account in this Region
    except BotoCoreError as error:
        return _account_facts(region, name, account, quota, unread=_reason(error))
    return _account_facts(region, name, account, quota, verified=verified)


def _account_facts(
    region: str,
    identity: str,
    account: dict[str, Any],
    quota: dict[str, Any],
    *,
    verified: bool | None = None,
    unread: str | None = None,
) -> SesFacts:
    return SesFacts(
        region=region,
        identity=identity,
        verified=verified,
        production_access=_flag(account.get("ProductionAccessEnabled")),
        sending_enabled=_flag(account.get("SendingEnabled")),
        max_24_hour_send=_number(quota.get("Max24HourSend")),
        sent_last_24_hours=_number(quota.get("SentLast24Hours")),
        max_send_rate=_number(quota.get("MaxSendRate")),
        unread=unread,
    )


def read_sms_sandbox(aws: AwsAccess, region: str | None) -> bool | None:
    """Whether SNS's SMS sandbox holds the account (None: it could not be read, as on an emulator without it)."""
    try:
        return bool(aws.client("sns", region=region).get_sms_sandbox_account_status()["IsInSandbox"])
    except (ClientError, BotoCoreError, KeyError):
        return None


def read_alarms(aws: AwsAccess, topic_arn: str | None) -> AlarmFacts | None:
    """The alarms that notify the stack's alarm topic (None: no topic, or they could not be read)."""
    if not topic_arn:
        return None
    try:
        alarms = aws.client("cloudwatch").describe_alarms(ActionPrefix=topic_arn, MaxRecords=100)["MetricAlarms"]
    except (ClientError, BotoCoreError, KeyError):
        return None
    firing = tuple(sorted(str(a["AlarmName"]) for a in alarms if a.get("StateValue") == IN_ALARM))
    return AlarmFacts(count=len(alarms), firing=firing)


def _reason(error: Exception) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code") or "error")
    return type(error).__name__


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _number(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None
