"""SES's read APIs, answered from the local account's sending channels (delivery.py): what an operator asks SES before
a run (`cognito-reset doctor`) says what the local system will then deliver. moto answers them from its own state,
which the local delivery never touches (a fixed sandbox quota of 200 and its own count), or not at all (GetAccount).

What the documents say, and what is played:
- Amazon SES API Reference (v2), GetAccount: ProductionAccessEnabled "false" means the account is in the sandbox;
  SendQuota holds Max24HourSend, MaxSendRate and SentLast24Hours; SendingEnabled says whether the account may send.
  Played: production access unless the simulated account is in the sandbox (`SesAccount.sandbox`), its quota and send
  rate, what the pool's SES channel sent in the last 24 hours (`Channels.sent_last_24_hours`), sending enabled.
- Amazon SES API Reference (v1), GetSendQuota: the same three numbers (Max24HourSend, MaxSendRate, SentLast24Hours).
- Amazon SES API Reference (v2), GetEmailIdentity: IdentityType, VerificationStatus and VerifiedForSendingStatus of an
  identity of the account (an address or a domain); an identity the account does not have answers NotFoundException.
  Played: the account's identities are the SES identity each user pool sends from (its EmailConfiguration.SourceArn,
  under EmailSendingAccount DEVELOPER) and the simulated account's verified identities (`SesAccount`), all verified.
  The pool's own identity counts as verified because the local delivery sends from it, in the sandbox and out of it
  (Amazon SES Developer Guide, "Verified identities": SES sends only from verified identities); an identity made with
  moto's CreateEmailIdentity is not one of them (SES would have it pending verification; moto calls it verified).

Every identity answers in every Region the pool names in its SourceArn; the local account is one account.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from typing import Any, Final

from moto.cognitoidp.models import cognitoidp_backends
from moto.core.responses import ActionResult
from moto.ses.exceptions import NotFoundException  # what moto's own SES v2 raises

from contracts.cognito import DEVELOPER
from contracts.patterns import SES_IDENTITY_ARN
from local_aws.emulation import moto_patches
from local_aws.emulation.delivery import Channels

# SES API Reference (v2), IdentityType and VerificationStatus.
EMAIL_ADDRESS: Final = "EMAIL_ADDRESS"
DOMAIN: Final = "DOMAIN"
VERIFIED: Final = "SUCCESS"
# SES API Reference (v2), GetAccount, EnforcementStatus: the account's standing ("HEALTHY" unless under review).
HEALTHY: Final = "HEALTHY"


def send_quota(channels: Channels) -> dict[str, float]:
    """GetSendQuota's answer (v1), and GetAccount's SendQuota (v2): the simulated account's quota and rate, and what
    the pool's SES channel has sent in the last 24 hours."""
    ses = channels.settings.ses
    return {
        "Max24HourSend": float(ses.max_24_hour_send),
        "MaxSendRate": float(ses.max_send_rate),
        "SentLast24Hours": float(channels.sent_last_24_hours()),
    }


def account(channels: Channels) -> dict[str, Any]:
    """GetAccount's answer (v2): out of the sandbox unless the simulated account is in it."""
    return {
        "DedicatedIpAutoWarmupEnabled": False,
        "EnforcementStatus": HEALTHY,
        "ProductionAccessEnabled": not channels.settings.ses.sandbox,
        "SendQuota": send_quota(channels),
        "SendingEnabled": True,
    }


def pool_identities(email_configurations: Iterable[Mapping[str, Any]]) -> set[tuple[str, str]]:
    """(Region, identity) of every SES identity the pools send from (EmailSendingAccount DEVELOPER)."""
    identities = set()
    for configuration in email_configurations:
        if configuration.get("EmailSendingAccount") != DEVELOPER:
            continue
        match = SES_IDENTITY_ARN.fullmatch(str(configuration.get("SourceArn") or ""))
        if match is not None:
            identities.add((match["region"], match["identity"].lower()))
    return identities


def email_identity(
    channels: Channels, region: str, identity: str, pools_send_from: set[tuple[str, str]]
) -> dict[str, Any] | None:
    """GetEmailIdentity's answer (v2) for an identity of the account, None for one it does not have."""
    if (region, identity.lower()) not in pools_send_from and not channels.settings.ses.verifies(identity):
        return None
    return {
        "IdentityType": EMAIL_ADDRESS if "@" in identity else DOMAIN,
        "FeedbackForwardingStatus": True,
        "VerifiedForSendingStatus": True,
        "VerificationStatus": VERIFIED,
        "DkimAttributes": {},
        "Policies": {},
        "Tags": [],
    }


def _email_configurations(account_id: str) -> Iterator[Mapping[str, Any]]:
    """The EmailConfiguration of every user pool of the account, in every Region that has pools."""
    for backend in cognitoidp_backends[account_id].values():
        for pool in backend.user_pools.values():
            yield pool.extended_config.get("EmailConfiguration") or {}


@contextmanager
def ses_read_from_the_channels(channels: Channels) -> Iterator[None]:
    """GetAccount (v2; moto has none, nor its route), GetEmailIdentity (v2) and GetSendQuota (v1) answered from
    `channels` until the block ends (module docstring: the documents, and what is played)."""

    def get_account(_response: Any) -> str:
        return json.dumps(account(channels))

    def get_email_identity(response: Any) -> str:
        name = str(response._get_param("EmailIdentity"))
        answer = email_identity(
            channels, response.region, name, pool_identities(_email_configurations(response.current_account))
        )
        if answer is None:
            raise NotFoundException(name)
        return json.dumps(answer)

    def get_send_quota(_response: Any) -> ActionResult:
        return ActionResult(send_quota(channels))

    with ExitStack() as stack:
        stack.enter_context(moto_patches.SESV2_ACCOUNT_ROUTE.applied(moto_patches.SESV2_DISPATCH))
        stack.enter_context(moto_patches.SESV2_GET_ACCOUNT.applied(get_account))
        stack.enter_context(moto_patches.SESV2_GET_EMAIL_IDENTITY.applied(get_email_identity))
        stack.enter_context(moto_patches.SES_GET_SEND_QUOTA.applied(get_send_quota))
        yield
