"""SES → EventBridge: the events SES publishes for a message sent through a configuration set, which moto neither
records (its SES v2 has no event destinations) nor publishes. When the local Cognito sends a code by e-mail through a
pool's own SES identity, this puts on the default bus what SES would, for each of the set's EventBridge destinations
that matches the event's type; the rules there (eventbridge.py) deliver them.

What the documents say, and what is played:
- Amazon SES Developer Guide, "Monitoring email sending using Amazon SES event publishing": a message sent with a
  configuration set (Cognito: the pool's EmailConfiguration.ConfigurationSet, API Reference, EmailConfigurationType)
  has its events published to the set's event destinations, for the event types each destination matches. SES API
  Reference v2, EventBridgeDestination: the Region's default bus only.
- EventBridge events reference, "Amazon SES events": source `aws.ses`, detail-type "Email Delivered", "Email Bounced",
  "Email Complaint Received" (contracts.delivery_events.DETAIL_TYPE); the detail is SES's event record ("Contents of
  event data that Amazon SES publishes": eventType, mail with its destination, messageId and tags, which carry
  `ses:configuration-set`; delivery.recipients, bounce.bouncedRecipients, complaint.complainedRecipients).
- Amazon SES Developer Guide, "Using the mailbox simulator": mail to success@simulator.amazonses.com is delivered,
  bounce@ bounces (a hard bounce, 550 5.1.1), complaint@ is delivered and then complained about, suppressionlist@
  bounces as an address on the suppression list, ooto@ is delivered (and answered automatically); a label after '+'
  keeps the scenario. Every other address is played as delivered: the local account reaches every mailbox.

Played, not documented: the events follow the send at once (on AWS, seconds to hours later); a message id and a
feedback id of SES's shape, made up here. Nothing here is written to a log.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parseaddr
from typing import Any, Final

from moto.events.models import events_backends

from contracts.cognito import DEVELOPER
from contracts.delivery_events import (
    BOUNCE,
    COMPLAINT,
    CONFIGURATION_SET_TAG,
    DELIVERY,
    DETAIL_TYPE,
    EVENT_TYPE,
    SOURCE,
)
from contracts.patterns import SES_IDENTITY_ARN
from local_aws.emulation.cognito import SentMessage, email_sending_account
from local_aws.emulation.delivery import mailbox_simulator_scenario

# The scenarios of the mailbox simulator (delivery.mailbox_simulator_scenario) that bounce, and that complain after
# the delivery.
_BOUNCES: Final = {"bounce": "General", "suppressionlist": "OnSuppressionList"}
_COMPLAINS: Final = frozenset({"complaint"})


@dataclass(frozen=True, slots=True)
class SesEventDestination:
    """One event destination of a configuration set (AWS::SES::ConfigurationSetEventDestination), as provisioned."""

    configuration_set: str
    matching_event_types: frozenset[str]  # SES API v2's names (DELIVERY, BOUNCE, ...)
    event_bus_arn: str | None  # its EventBridge destination; None: it publishes elsewhere
    enabled: bool = True

    @classmethod
    def of_template(cls, properties: Mapping[str, Any]) -> SesEventDestination:
        """From the resource's resolved properties. CloudFormation spells the event types as SES API v1 did
        (`delivery`, `renderingFailure`), API v2 as DELIVERY, RENDERING_FAILURE: read alike."""
        destination = properties["EventDestination"]
        return cls(
            configuration_set=str(properties["ConfigurationSetName"]),
            matching_event_types=frozenset(_v2_name(name) for name in destination.get("MatchingEventTypes", [])),
            event_bus_arn=(destination.get("EventBridgeDestination") or {}).get("EventBusArn"),
            enabled=bool(destination.get("Enabled", False)),
        )


def _v2_name(name: str) -> str:
    """`renderingFailure` (CloudFormation, SES API v1) as `RENDERING_FAILURE` (SES API v2); a v2 name as it is."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper() if not name.isupper() else name


def _now() -> str:
    """SES's timestamps: ISO 8601, UTC, milliseconds."""
    return datetime.now(tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _ses_id() -> str:
    """An id of the shape SES gives messages and feedback ("0102019...-...-000000")."""
    return f"0102{uuid.uuid4().hex[:12]}-{uuid.uuid4()}-000000"


def event_records(
    address: str, *, configuration_set: str, source: str, source_arn: str, account_id: str
) -> Iterator[tuple[str, dict[str, Any]]]:
    """What SES publishes for one message to `address`, in order: (event type, record)."""
    domain = source.rpartition("@")[2]
    mail = {
        "timestamp": _now(),
        "source": source,
        "sourceArn": source_arn,
        "sendingAccountId": account_id,
        "messageId": _ses_id(),
        "destination": [address],
        "headersTruncated": False,
        "tags": {CONFIGURATION_SET_TAG: [configuration_set], "ses:from-domain": [domain]},
    }
    scenario = mailbox_simulator_scenario(address)
    if scenario in _BOUNCES:
        bounce = {
            "bounceType": "Permanent",
            "bounceSubType": _BOUNCES[scenario],
            "bouncedRecipients": [
                {"emailAddress": address, "action": "failed", "status": "5.1.1", "diagnosticCode": "smtp; 550 5.1.1"}
            ],
            "timestamp": _now(),
            "feedbackId": _ses_id(),
        }
        yield BOUNCE, {"eventType": EVENT_TYPE[BOUNCE], "mail": mail, "bounce": bounce}
        return
    delivery = {
        "timestamp": _now(),
        "processingTimeMillis": 1,
        "recipients": [address],
        "smtpResponse": "250 2.6.0 Message received",
    }
    yield DELIVERY, {"eventType": EVENT_TYPE[DELIVERY], "mail": mail, "delivery": delivery}
    if scenario in _COMPLAINS:
        complaint = {
            "complainedRecipients": [{"emailAddress": address}],
            "timestamp": _now(),
            "feedbackId": _ses_id(),
            "complaintFeedbackType": "abuse",
        }
        yield COMPLAINT, {"eventType": EVENT_TYPE[COMPLAINT], "mail": mail, "complaint": complaint}


@dataclass(frozen=True)
class SesEvents:
    """The account's configuration sets' event destinations, and the publishing of a sent message's events."""

    destinations: Sequence[SesEventDestination] = ()

    def publish(self, pool: Any, message: SentMessage) -> list[dict[str, Any]]:
        """Put the events of a code Cognito sent by e-mail through the pool's SES identity and configuration set on
        each matching destination's bus; returns the PutEvents entries (none for any other message)."""
        configuration = pool.extended_config.get("EmailConfiguration") or {}
        set_name = configuration.get("ConfigurationSet")
        identity = SES_IDENTITY_ARN.fullmatch(str(configuration.get("SourceArn") or ""))
        if (
            message.email_to is None
            or message.undelivered is not None
            or email_sending_account(pool) != DEVELOPER
            or not set_name
            or identity is None
        ):
            return []
        destinations = [
            d for d in self.destinations if d.configuration_set == set_name and d.enabled and d.event_bus_arn
        ]
        if not destinations:
            return []
        records = list(
            event_records(
                message.email_to,
                configuration_set=set_name,
                # SES's mail.source is the sender's address, without the display name.
                source=parseaddr(str(configuration.get("From") or ""))[1] or identity["identity"],
                source_arn=identity.group(0),
                account_id=identity.group(0).split(":")[4],
            )
        )
        entries: list[dict[str, Any]] = []
        for destination in destinations:
            bus_arn = str(destination.event_bus_arn)
            _, _, _, region, account, _ = bus_arn.split(":", 5)
            put = [
                {
                    "Source": SOURCE,
                    "DetailType": DETAIL_TYPE[event_type],
                    "Detail": json.dumps(record),
                    "EventBusName": bus_arn,
                    "Resources": [f"arn:aws:ses:{region}:{account}:configuration-set/{set_name}"],
                }
                for event_type, record in records
                if event_type in destination.matching_event_types
            ]
            if put:
                # moto's own PutEvents, as a service of the account puts its events (aws.* sources are not callers').
                events_backends[account][region].put_events(put)
            entries += put
        return entries
