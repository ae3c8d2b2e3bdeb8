"""What the deployment's pool can deliver, decided from facts read elsewhere (doctor.py reads them from AWS): how it
sends e-mail and SMS, the problems that stop or spoil a reset, each with its fix, how many e-mails it can still send
today, and whether a bulk run of a given size fits. No AWS calls here, and nothing that names a user.

The rules each name the document they follow:
- Amazon Cognito API Reference, EmailConfigurationType: EmailSendingAccount COGNITO_DEFAULT (absent: the same) or
  DEVELOPER, which sends through the SES identity of SourceArn; Developer Guide, "Email settings for Amazon Cognito
  user pools": Cognito's own sender sends from no-reply@verificationemail.com; "Quotas in Amazon Cognito": 50 e-mails a
  day per account (contracts.cognito.COGNITO_DEFAULT_DAILY_EMAILS), a number no API reports as used.
- Amazon SES API Reference (v2), GetAccount (ProductionAccessEnabled false: the sandbox; SendingEnabled; SendQuota:
  Max24HourSend, of which -1 means unlimited, SentLast24Hours, MaxSendRate) and GetEmailIdentity
  (VerifiedForSendingStatus); Amazon SES Developer Guide, "Request production access": in the sandbox only verified
  identities receive.
- Cognito Developer Guide, "Recovering user accounts": a code goes to the first verified contact in
  AccountRecoverySetting's priority order (none set: a verified phone number, else a verified e-mail address);
  admin_only allows no self-service recovery, so AdminResetUserPassword cannot send a code. "SMS message settings for
  Amazon Cognito user pools": no SMS without an SmsConfiguration; SNS's SMS sandbox (GetSMSSandboxAccountStatus)
  reaches only verified phone numbers.
- Cognito API Reference, EmailConfigurationType, ConfigurationSet: the SES configuration set a DEVELOPER pool's e-mail
  is sent with; Amazon SES Developer Guide, "Monitoring email sending using Amazon SES event publishing": without one,
  SES publishes no delivery, bounce or complaint events, and `status` cannot say what was delivered.
- Cognito Developer Guide, "Custom message Lambda trigger": without the stack's trigger, the message is Cognito's
  default, which does not say why the password was reset.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from contracts.cognito import (
    ADMIN_ONLY,
    COGNITO_DEFAULT,
    COGNITO_DEFAULT_DAILY_EMAILS,
    DEVELOPER,
    VERIFIED_EMAIL,
    VERIFIED_PHONE_NUMBER,
)

# Developer Guide, "Email settings for Amazon Cognito user pools": the address Cognito's own sender uses.
COGNITO_DEFAULT_FROM: Final = "no-reply@verificationemail.com"
# SES API Reference, SendQuota.Max24HourSend: "A value of -1 signifies an unlimited quota."
UNLIMITED: Final = -1
# Developer Guide, "Recovering user accounts": a pool without AccountRecoverySetting sends the code to a verified phone
# number, else to a verified e-mail address.
LEGACY_RECOVERY: Final = (VERIFIED_PHONE_NUMBER, VERIFIED_EMAIL)
# The doctor's screen: at most this wide (problems and fixes are wrapped to it).
WIDTH: Final = 80
OVER_SEVERAL_DAYS: Final = "--over-several-days"


@dataclass(frozen=True, slots=True)
class SesFacts:
    """The SES identity a DEVELOPER pool sends from, and the SES account of its Region. None: not known (`unread` says
    why); `verified` False also for an identity the account does not have."""

    region: str
    identity: str
    verified: bool | None = None
    production_access: bool | None = None
    sending_enabled: bool | None = None
    max_24_hour_send: float | None = None
    sent_last_24_hours: float | None = None
    max_send_rate: float | None = None
    unread: str | None = None


@dataclass(frozen=True, slots=True)
class AlarmFacts:
    """The alarms that notify the stack's alarm topic, and the names of those in ALARM."""

    count: int
    firing: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DeliveryFacts:
    """How the pool sends, as DescribeUserPool, SES, SNS, CloudWatch and the stack's outputs say. None: not known."""

    pool_id: str
    sending_account: str = COGNITO_DEFAULT
    from_address: str | None = None
    source_arn: str | None = None
    configuration_set: str | None = None  # EmailConfiguration.ConfigurationSet: SES publishes its delivery events
    ses: SesFacts | None = None  # DEVELOPER only
    sms_configured: bool = False
    sms_sandbox: bool | None = None
    recovery: tuple[str, ...] | None = None  # AccountRecoverySetting's mechanisms by priority; None: none set
    trigger: str | None = None  # LambdaConfig.CustomMessage
    stack_trigger: str | None = None  # the stack's trigger function (its output), when the pool is the stack's
    rate_budget: float | None = None  # the stack's resets a second
    alarms: AlarmFacts | None = None

    @property
    def through_ses(self) -> bool:
        return self.sending_account == DEVELOPER


class Code(StrEnum):
    """What a problem is, for a reader of the JSON document (stable)."""

    ADMIN_ONLY_RECOVERY = "ADMIN_ONLY_RECOVERY"
    NO_SMS_CONFIGURATION = "NO_SMS_CONFIGURATION"
    SMS_SANDBOX = "SMS_SANDBOX"
    COGNITO_SENDER = "COGNITO_SENDER"
    NO_SES_IDENTITY = "NO_SES_IDENTITY"
    SES_NOT_READ = "SES_NOT_READ"
    SES_IDENTITY_NOT_VERIFIED = "SES_IDENTITY_NOT_VERIFIED"
    SES_SENDING_PAUSED = "SES_SENDING_PAUSED"
    SES_QUOTA_SPENT = "SES_QUOTA_SPENT"
    SES_SANDBOX = "SES_SANDBOX"
    PACE_OVER_SEND_RATE = "PACE_OVER_SEND_RATE"
    NO_CONFIGURATION_SET = "NO_CONFIGURATION_SET"
    NO_TRIGGER = "NO_TRIGGER"
    OTHER_TRIGGER = "OTHER_TRIGGER"


@dataclass(frozen=True, slots=True)
class Problem:
    """Something that stops a reset from being delivered as designed (`blocking`), or spoils it; with its fix."""

    code: Code
    says: str
    fix: str
    blocking: bool

    def document(self) -> dict[str, Any]:
        return {"code": self.code, "blocking": self.blocking, "problem": self.says, "fix": self.fix}


@dataclass(frozen=True, slots=True)
class DailyEmails:
    """How many e-mails the pool can send in 24 hours and has sent: None where nothing says (`unlimited`: SES's -1)."""

    channel: str
    limit: int | None
    sent: int | None = None
    unlimited: bool = False

    @property
    def left(self) -> int | None:
        if self.limit is None:
            return None
        return max(0, self.limit - (self.sent or 0))

    def line(self) -> str:
        if self.unlimited:
            return f"{self.channel}: no 24-hour limit"
        if self.limit is None:
            return f"{self.channel}: not known"
        sent = "sent so far unknown" if self.sent is None else f"{self.sent:,} sent"
        return f"{self.channel}: {self.limit:,} in 24 hours, {sent}"


def daily_emails(facts: DeliveryFacts) -> DailyEmails:
    if not facts.through_ses:
        # No API reports what Cognito's own sender has sent: the whole day's limit is the most that is left.
        return DailyEmails("Cognito's own sender", COGNITO_DEFAULT_DAILY_EMAILS)
    ses = facts.ses
    channel = f"SES in {ses.region}" if ses is not None else "SES"
    if ses is None or ses.max_24_hour_send is None:
        return DailyEmails(channel, None)
    if ses.max_24_hour_send <= UNLIMITED:
        return DailyEmails(channel, None, unlimited=True)
    sent = None if ses.sent_last_24_hours is None else math.ceil(ses.sent_last_24_hours)
    return DailyEmails(channel, math.floor(ses.max_24_hour_send), sent)


def function_name(arn: str) -> str:
    """A Lambda function's name (with its qualifier) from its ARN, arn:aws:lambda:<region>:<account>:function:<name>."""
    return arn.split(":function:", 1)[1] if ":function:" in arn else arn


def _is_stacks(trigger: str, stack_trigger: str) -> bool:
    """The stack's function itself, or one of its versions or aliases (a trigger may name a qualified ARN)."""
    return trigger == stack_trigger or trigger.startswith(stack_trigger + ":")


def problems(facts: DeliveryFacts) -> tuple[Problem, ...]:
    """Everything that stops or spoils a reset's delivery, the blocking ones first."""
    found = [*_recovery_problems(facts), *_sms_problems(facts), *_email_problems(facts), *_trigger_problems(facts)]
    return tuple(sorted(found, key=lambda problem: not problem.blocking))


def _recovery_problems(facts: DeliveryFacts) -> list[Problem]:
    recovery = facts.recovery
    if recovery is not None and ADMIN_ONLY in recovery:
        return [
            Problem(
                Code.ADMIN_ONLY_RECOVERY,
                "account recovery is admin_only: Cognito refuses AdminResetUserPassword",
                f"recover accounts by {VERIFIED_EMAIL} (console: Sign-in, User account recovery; an "
                "UpdateUserPool resets what it is not given)",
                blocking=True,
            )
        ]
    return []


def _sms_problems(facts: DeliveryFacts) -> list[Problem]:
    """Codes that would go by SMS where the pool cannot send one, or SNS's sandbox keeps them from most phones."""
    order = facts.recovery or LEGACY_RECOVERY
    if ADMIN_ONLY in order or VERIFIED_PHONE_NUMBER not in order:
        return []
    if facts.sms_configured:
        if not facts.sms_sandbox:
            return []
        return [
            Problem(
                Code.SMS_SANDBOX,
                "SNS's SMS sandbox: codes by SMS reach only verified phone numbers",
                "move the account's SMS out of the SNS sandbox (SNS console, Text messaging)",
                blocking=False,
            )
        ]
    if order == (VERIFIED_PHONE_NUMBER,):
        return [
            Problem(
                Code.NO_SMS_CONFIGURATION,
                "codes go by SMS only, and the pool has no SMS configuration: none arrives",
                f"recover accounts by {VERIFIED_EMAIL}, or give the pool an SMS configuration",
                blocking=True,
            )
        ]
    if order[0] != VERIFIED_PHONE_NUMBER:
        return []
    return [
        Problem(
            Code.NO_SMS_CONFIGURATION,
            "codes go by SMS first, and the pool has no SMS configuration: users with a verified phone get none",
            f"put {VERIFIED_EMAIL} first in account recovery, or give the pool an SMS configuration",
            blocking=False,
        )
    ]


def _email_problems(facts: DeliveryFacts) -> list[Problem]:
    if not facts.through_ses:
        return [
            Problem(
                Code.COGNITO_SENDER,
                f"Cognito's own sender: {COGNITO_DEFAULT_DAILY_EMAILS} e-mails a day per account, untailored",
                "send through an SES identity: deploy with sesFromAddress (docs/deploy.md)",
                blocking=False,
            )
        ]
    ses = facts.ses
    if ses is None:
        return [
            Problem(
                Code.NO_SES_IDENTITY,
                "the pool sends as DEVELOPER without an SES identity (SourceArn)",
                "deploy with sesFromAddress and sesRegion (docs/deploy.md)",
                blocking=True,
            )
        ]
    found = []
    where = f"{ses.identity} in {ses.region}"
    if ses.unread is not None:
        found.append(
            Problem(
                Code.SES_NOT_READ,
                f"SES in {ses.region} could not be read ({ses.unread})",
                "allow ses:GetAccount and ses:GetEmailIdentity to the operator",
                blocking=False,
            )
        )
    if ses.verified is False:
        found.append(
            Problem(
                Code.SES_IDENTITY_NOT_VERIFIED,
                f"SES identity {where} is not verified: nothing is sent",
                f"verify it in SES ({ses.region}), then wait for VerifiedForSendingStatus",
                blocking=True,
            )
        )
    if ses.sending_enabled is False:
        found.append(
            Problem(
                Code.SES_SENDING_PAUSED,
                f"SES sending is paused in {ses.region}",
                "fix the cause, then resume it (SES PutAccountSendingAttributes)",
                blocking=True,
            )
        )
    if daily_emails(facts).left == 0:
        found.append(
            Problem(
                Code.SES_QUOTA_SPENT,
                f"SES's 24-hour quota in {ses.region} is spent",
                "wait for the day's sends to age out, or ask AWS for a higher SES quota",
                blocking=True,
            )
        )
    if ses.production_access is False:
        found.append(
            Problem(
                Code.SES_SANDBOX,
                f"SES sandbox in {ses.region}: only verified identities receive",
                f"request SES production access in {ses.region}",
                blocking=False,
            )
        )
    pace = pace_over_send_rate(facts)
    if pace is not None:
        found.append(pace)
    if facts.configuration_set is None:
        found.append(
            Problem(
                Code.NO_CONFIGURATION_SET,
                "no SES configuration set: status cannot say what was delivered",
                "give the pool a ConfigurationSet that publishes to EventBridge (docs/deploy.md)",
                blocking=False,
            )
        )
    return found


def pace_over_send_rate(facts: DeliveryFacts) -> Problem | None:
    """Resets paced faster than SES sends: Cognito refuses the messages over SES's rate."""
    ses = facts.ses
    if ses is None or ses.max_send_rate is None or facts.rate_budget is None or facts.rate_budget <= ses.max_send_rate:
        return None
    return Problem(
        Code.PACE_OVER_SEND_RATE,
        f"resets paced at {facts.rate_budget:g}/s, SES sends {ses.max_send_rate:g}/s: Cognito refuses the excess",
        f"deploy with rateBudget at most {ses.max_send_rate:g}, or ask AWS for a higher SES send rate",
        blocking=False,
    )


def _trigger_problems(facts: DeliveryFacts) -> list[Problem]:
    if facts.trigger is None:
        return [
            Problem(
                Code.NO_TRIGGER,
                "no CustomMessage trigger: Cognito's default message says nothing of why",
                "deploy the stack: it attaches its trigger",
                blocking=True,
            )
        ]
    if facts.stack_trigger is not None and not _is_stacks(facts.trigger, facts.stack_trigger):
        return [
            Problem(
                Code.OTHER_TRIGGER,
                f"the CustomMessage trigger is {function_name(facts.trigger)}, not the stack's",
                "deploy the stack again: it attaches its own trigger",
                blocking=True,
            )
        ]
    return []


def can_deliver(found: tuple[Problem, ...]) -> bool:
    return not any(problem.blocking for problem in found)


# The doctor's screen and document.


def screen(facts: DeliveryFacts, stack_name: str, found: tuple[Problem, ...]) -> list[str]:
    """One screen (at most ~30 lines of WIDTH columns): how the pool sends, then each problem with its fix."""
    emails = daily_emails(facts)
    lines = [f"Pool {facts.pool_id} of stack {stack_name}"]
    if facts.through_ses:
        lines.append(f"E-mail    {DEVELOPER}: SES, from {facts.from_address or 'the SES identity'}")
        ses = facts.ses
        if ses is not None:
            lines += [
                f"  identity  {ses.identity} in {ses.region}: {_verified(ses.verified)}",
                f"  account   {_sandbox(ses.production_access)}; sending {_enabled(ses.sending_enabled)}",
                f"  quota     {_quota(emails, ses)}",
            ]
    else:
        lines += [
            f"E-mail    {COGNITO_DEFAULT}: Cognito's own sender, {COGNITO_DEFAULT_FROM}",
            f"  quota     {COGNITO_DEFAULT_DAILY_EMAILS} a day per account; sent in the last 24 hours: unknown",
        ]
    lines += [
        f"SMS       {_sms(facts)}",
        f"Recovery  {_recovery(facts.recovery)}",
        f"Trigger   {_trigger(facts)}",
        f"Pace      {_pace(facts.rate_budget)}",
        f"Alarms    {_alarms(facts.alarms)}",
        f"Today     {_today(emails)}",
        "",
    ]
    if not found:
        return [*_fitted(lines), "No problems: a reset can be delivered."]
    blocking = sum(problem.blocking for problem in found)
    lines.append(f"{len(found)} problem(s), {blocking} blocking; each with its fix:")
    for problem in found:
        mark = "BLOCKS" if problem.blocking else "warns "
        lines += textwrap.wrap(problem.says, WIDTH, initial_indent=f"  {mark} ", subsequent_indent=" " * 9)
        lines += textwrap.wrap(problem.fix, WIDTH, initial_indent="    fix: ", subsequent_indent=" " * 9)
    verdict = "a reset can be delivered" if not blocking else "no reset is delivered as designed: fix what BLOCKS"
    return [*_fitted(lines), f"Verdict: {verdict}."]


def _fitted(lines: list[str]) -> list[str]:
    """Every line at most WIDTH wide: a longer fact goes on under its label."""
    return [
        part
        for line in lines
        for part in (textwrap.wrap(line, WIDTH, subsequent_indent=" " * 12, break_on_hyphens=False) or [""])
    ]


def document(facts: DeliveryFacts, found: tuple[Problem, ...]) -> dict[str, Any]:
    """The same facts as one JSON document."""
    emails = daily_emails(facts)
    ses = facts.ses
    return {
        "userPoolId": facts.pool_id,
        "emailSendingAccount": facts.sending_account,
        "from": facts.from_address if facts.through_ses else COGNITO_DEFAULT_FROM,
        "sourceArn": facts.source_arn,
        "configurationSet": facts.configuration_set,
        "ses": None
        if ses is None
        else {
            "region": ses.region,
            "identity": ses.identity,
            "verified": ses.verified,
            "productionAccess": ses.production_access,
            "sendingEnabled": ses.sending_enabled,
            "max24HourSend": ses.max_24_hour_send,
            "sentLast24Hours": ses.sent_last_24_hours,
            "maxSendRate": ses.max_send_rate,
            "unread": ses.unread,
        },
        "email": {
            "dailyLimit": emails.limit,
            "unlimited": emails.unlimited,
            "sentLast24Hours": emails.sent,
            "leftToday": emails.left,
        },
        "sms": {"configured": facts.sms_configured, "sandbox": facts.sms_sandbox},
        "accountRecovery": list(facts.recovery) if facts.recovery is not None else None,
        "trigger": {
            "customMessage": facts.trigger,
            "stacks": facts.stack_trigger,
            "isStacks": None
            if facts.trigger is None or facts.stack_trigger is None
            else _is_stacks(facts.trigger, facts.stack_trigger),
        },
        "rateBudget": facts.rate_budget,
        "alarms": None if facts.alarms is None else {"count": facts.alarms.count, "inAlarm": list(facts.alarms.firing)},
        "problems": [problem.document() for problem in found],
        "canDeliver": can_deliver(found),
    }


def _verified(verified: bool | None) -> str:
    return {True: "verified for sending", False: "NOT verified", None: "unknown"}[verified]


def _sandbox(production_access: bool | None) -> str:
    return {True: "out of the SES sandbox", False: "in the SES sandbox", None: "sandbox unknown"}[production_access]


def _enabled(enabled: bool | None) -> str:
    return {True: "enabled", False: "PAUSED", None: "unknown"}[enabled]


def _quota(emails: DailyEmails, ses: SesFacts) -> str:
    rate = "unknown" if ses.max_send_rate is None else f"{ses.max_send_rate:g}"
    if emails.unlimited:
        return f"no 24-hour limit; {rate} a second"
    if emails.limit is None:
        return f"unknown; {rate} a second"
    sent = "unknown" if emails.sent is None else f"{emails.sent:,}"
    return f"{emails.limit:,} in 24 hours, {sent} sent; {rate} a second"


def _sms(facts: DeliveryFacts) -> str:
    if not facts.sms_configured:
        return "not configured: Cognito sends no text messages"
    sandbox = {True: "in the SNS SMS sandbox", False: "out of the SNS SMS sandbox", None: "SNS SMS sandbox unknown"}
    return f"configured; {sandbox[facts.sms_sandbox]}"


def _recovery(recovery: tuple[str, ...] | None) -> str:
    if recovery is None:
        return "not set: a verified phone number, else a verified e-mail address"
    return ", then ".join(recovery) if recovery else "none"


def _trigger(facts: DeliveryFacts) -> str:
    if facts.trigger is None:
        return "none attached"
    name = function_name(facts.trigger)
    if facts.stack_trigger is None:
        return f"{name} (the stack names no trigger to compare)"
    return f"the stack's ({name})" if _is_stacks(facts.trigger, facts.stack_trigger) else f"{name}, not the stack's"


def _pace(rate_budget: float | None) -> str:
    if rate_budget is None:
        return "unknown (the stack publishes no rate budget)"
    return f"{rate_budget:g} resets a second (the stack's rate budget)"


def _alarms(alarms: AlarmFacts | None) -> str:
    if alarms is None:
        return "unknown (no alarm topic in the stack's outputs, or not readable)"
    if not alarms.firing:
        return f"{alarms.count} on the stack's topic, none in ALARM"
    return f"{alarms.count} on the stack's topic, in ALARM: {', '.join(alarms.firing)}"


def _today(emails: DailyEmails) -> str:
    if emails.unlimited:
        return "no 24-hour limit on e-mail"
    left = emails.left
    if left is None:
        return "unknown how many e-mails can still be sent"
    most = "at most " if emails.sent is None else ""
    return f"{most}{left:,} more e-mails can be sent"


# A bulk run's size against what the pool can deliver.


@dataclass(frozen=True, slots=True)
class Sizing:
    """The run's size against the pool: `refusal` (lines: what, the fixes) when it must not start, else warnings."""

    users: int
    emails: DailyEmails
    refusal: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def refused(self) -> bool:
        return bool(self.refusal)

    def line(self) -> str:
        left = self.emails.left
        if left is None:
            return f"sized: {self.users:,} users; {self.emails.line()}"
        most = "at most " if self.emails.sent is None else ""
        return f"sized: {self.users:,} users; {most}{left:,} e-mails left today ({self.emails.line()})"


def size_run(facts: DeliveryFacts, users: int, *, over_several_days: bool) -> Sizing:
    """A run of `users` distinct users against what the pool can deliver today: refused when the pool cannot reset at
    all, or when the run is larger than what is left today unless it may finish over several days."""
    emails = daily_emails(facts)
    found = problems(facts)
    stopping = [p for p in found if p.blocking and p.code != Code.SES_QUOTA_SPENT]  # a spent quota is a size matter
    if stopping:
        refusal = [f"the pool cannot deliver a reset: {p.says}; fix: {p.fix}" for p in stopping]
        return Sizing(users, emails, refusal=tuple(refusal))
    # What spoils the run's delivery besides its size (the sized line names Cognito's own sender already).
    # (Nor does a missing configuration set: it spoils what status can say, not what the run delivers.)
    unsized = {Code.COGNITO_SENDER, Code.NO_CONFIGURATION_SET}
    warnings = [f"{p.says} (fix: {p.fix})" for p in found if not p.blocking and p.code not in unsized]
    left = emails.left
    if left is None:
        if not emails.unlimited:
            warnings.append(f"the run is not sized: {emails.line()}")
        return Sizing(users, emails, warnings=tuple(warnings))
    if users <= left:
        return Sizing(users, emails, warnings=tuple(warnings))
    most = "at most " if emails.sent is None else ""
    over = f"{users:,} users, more than the pool can deliver today: {most}{left:,} e-mails ({emails.line()})"
    if over_several_days:
        limit = emails.limit or 1
        days = 1 + math.ceil((users - left) / limit)
        warnings.append(
            f"{over}; the run stops at the limit, and `cognito-reset redrive RUN` continues it each next day (about "
            f"{days} days, {OVER_SEVERAL_DAYS}): nobody it reset is sent a second code"
        )
        return Sizing(users, emails, warnings=tuple(warnings))
    fixes = [
        "send through an SES identity (sesFromAddress: docs/deploy.md)"
        if not facts.through_ses
        else f"ask AWS for a higher SES sending quota in {facts.ses.region if facts.ses else 'its Region'}",
        f"reset at most {left:,} users now" if left else "wait until the day's sends age out",
        f"or let the run finish over several days: {OVER_SEVERAL_DAYS}",
    ]
    return Sizing(users, emails, refusal=(over, f"fix: {'; '.join(fixes)}"), warnings=tuple(warnings))
