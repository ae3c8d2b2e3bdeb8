"""How Cognito's messages leave the local account: the limits of the channel a pool sends through, played so that a
drill fails where AWS would fail.

- Cognito's own sender (EmailSendingAccount COGNITO_DEFAULT): a daily e-mail limit per account (Developer Guide,
  "Quotas in Amazon Cognito": 50 a day); past it the call answers LimitExceededException with Cognito's message
  (contracts.cognito.DAILY_EMAIL_LIMIT_MESSAGE).
- The pool's own SES identity (DEVELOPER): SES's sending quotas (Amazon SES Developer Guide, "Managing your Amazon SES
  sending quotas": a maximum number of messages in any 24 hours and a maximum send rate per second; "Request
  production access (Moving out of the Amazon SES sandbox)": in the sandbox, 200 messages in 24 hours, one a second,
  and only to verified addresses or domains). The simulated account's state is a setting (`SesAccount`): out of the
  sandbox with a typical production quota by default (AWS publishes no fixed production quota; 50,000 a day at 14 a
  second is what new production accounts have commonly been given), the sandbox one option away.
- SES's mailbox simulator (Amazon SES Developer Guide, "Using the mailbox simulator"): its addresses
  (`<scenario>@simulator.amazonses.com`, a label after '+' allowed) receive in the sandbox too, and count toward the
  send rate but not the 24-hour quota; what each scenario publishes is played in ses_events.py.
- SMS (Developer Guide, "SMS message settings for Amazon Cognito user pools"): Cognito sends text messages through
  Amazon SNS with the pool's SmsConfiguration (an IAM role); a pool without one sends none.

Not documented by AWS, and played as marked here: how Cognito relays SES's own refusals (a quota or rate SES answers
with its Throttling error; played as LimitExceededException with SES's message), whether a refused delivery leaves
the user as before (played: the reset does not happen, as when the trigger fails), whether the daily limit is a
calendar day or a rolling 24 hours (played: rolling 24 hours, as SES counts), and what the caller hears when the code
cannot be sent at all (no SMS configuration, an address outside the sandbox's verified identities; played: the call
succeeds, nothing reaches the user, and the outbox files the message as not delivered, with the reason).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from moto.core.exceptions import JsonRESTError

from contracts.cognito import (
    COGNITO_DEFAULT,
    COGNITO_DEFAULT_DAILY_EMAILS,
    DAILY_EMAIL_LIMIT_MESSAGE,
    DEVELOPER,
    SES_DAILY_QUOTA_MESSAGE,
    SES_RATE_MESSAGE,
)

DAY_SECONDS: Final = 86_400.0
EMAIL: Final = "EMAIL"  # CodeDeliveryDetailsType.DeliveryMedium
SMS: Final = "SMS"
# Where a message could not go (filed in the outbox as not delivered).
NO_SMS_CONFIGURATION: Final = "the pool has no SMS configuration: Cognito sends no text messages"
NOT_VERIFIED_IN_SANDBOX: Final = "the SES account is in the sandbox and the address is not a verified identity"


# Amazon SES Developer Guide, "Using the mailbox simulator": the simulator's domain and its scenarios.
MAILBOX_SIMULATOR_DOMAIN: Final = "simulator.amazonses.com"
MAILBOX_SIMULATOR_SCENARIOS: Final = frozenset({"success", "bounce", "ooto", "complaint", "suppressionlist"})


def mailbox_simulator_scenario(address: str) -> str | None:
    """The mailbox simulator's scenario an address plays (`bounce+lena@simulator.amazonses.com`: bounce), or None for
    an address outside the simulator."""
    local, _, domain = address.strip().lower().rpartition("@")
    scenario = local.partition("+")[0]
    return scenario if domain == MAILBOX_SIMULATOR_DOMAIN and scenario in MAILBOX_SIMULATOR_SCENARIOS else None


class LimitExceededError(JsonRESTError):
    def __init__(self, message: str) -> None:
        super().__init__("LimitExceededException", message)


@dataclass(frozen=True, slots=True)
class SesAccount:
    """The simulated account's SES state (GetSendQuota's Max24HourSend and MaxSendRate; the sandbox)."""

    sandbox: bool = False
    max_24_hour_send: int = 50_000
    max_send_rate: float = 14.0
    # Verified identities (addresses, or domains as "example.com"): in the sandbox, the only recipients SES accepts.
    verified_identities: frozenset[str] = frozenset()

    @classmethod
    def in_sandbox(cls, *verified_identities: str) -> SesAccount:
        """The sandbox's own quota (200 in 24 hours, one a second) and its verified recipients."""
        return cls(
            sandbox=True, max_24_hour_send=200, max_send_rate=1.0, verified_identities=frozenset(verified_identities)
        )

    def verifies(self, address: str) -> bool:
        address = address.lower()
        domain = address.rpartition("@")[2]
        identities = {identity.lower() for identity in self.verified_identities}
        return address in identities or domain in identities


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    """What the local account can deliver: settings of the local system (tests set what they need)."""

    cognito_default_daily_emails: int = COGNITO_DEFAULT_DAILY_EMAILS
    ses: SesAccount = field(default_factory=SesAccount)


@dataclass
class _Window:
    """Sends within the last `seconds`, by when they were sent."""

    seconds: float
    sent: deque[float] = field(default_factory=deque)

    def count(self, now: float) -> int:
        while self.sent and self.sent[0] <= now - self.seconds:
            self.sent.popleft()
        return len(self.sent)


@dataclass
class Channels:
    """The account's sending channels and what each has sent (one per local account)."""

    settings: DeliverySettings = field(default_factory=DeliverySettings)
    clock: Callable[[], float] = time.monotonic
    _cognito_default: _Window = field(default_factory=lambda: _Window(DAY_SECONDS))
    _ses_day: _Window = field(default_factory=lambda: _Window(DAY_SECONDS))
    _ses_second: _Window = field(default_factory=lambda: _Window(1.0))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def admit(self, pool: Any, medium: str, address: str) -> str | None:
        """Take one message on the pool's channel: None when it goes out, the reason when it cannot reach the user
        (the call still succeeds). Raises LimitExceededError where the channel refuses the call."""
        if medium == SMS:
            return None if pool.extended_config.get("SmsConfiguration") else NO_SMS_CONFIGURATION
        configuration = pool.extended_config.get("EmailConfiguration") or {}
        with self._lock:
            now = self.clock()
            if str(configuration.get("EmailSendingAccount") or COGNITO_DEFAULT) != DEVELOPER:
                if self._cognito_default.count(now) >= self.settings.cognito_default_daily_emails:
                    raise LimitExceededError(DAILY_EMAIL_LIMIT_MESSAGE)
                self._cognito_default.sent.append(now)
                return None
            ses = self.settings.ses
            simulated = mailbox_simulator_scenario(address) is not None
            if ses.sandbox and not simulated and not ses.verifies(address):
                return NOT_VERIFIED_IN_SANDBOX
            if not simulated and self._ses_day.count(now) >= ses.max_24_hour_send:
                raise LimitExceededError(SES_DAILY_QUOTA_MESSAGE)
            if self._ses_second.count(now) >= ses.max_send_rate:
                raise LimitExceededError(SES_RATE_MESSAGE)
            if not simulated:
                self._ses_day.sent.append(now)
            self._ses_second.sent.append(now)
            return None

    def sent_last_24_hours(self) -> int:
        """What SES's GetSendQuota calls SentLast24Hours, for the pool's own identity."""
        with self._lock:
            return self._ses_day.count(self.clock())
