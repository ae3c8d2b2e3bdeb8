"""SES's delivery, bounce and complaint events, counted per bulk run: what the stack subscribes to, how a reset ties the
address its code went to to its run, and where the counts are kept. The reset function, the delivery events function,
the stack, the local SES and the operator CLI read these from here.

A pool that sends through its own SES identity (EmailSendingAccount DEVELOPER) with an
EmailConfiguration.ConfigurationSet has SES publish the events of every message it sends through that set (Amazon SES
Developer Guide, "Monitoring email sending using Amazon SES event publishing"); an EventBridge destination publishes
them to the Region's default bus only (SES API Reference v2, EventBridgeDestination), as source `aws.ses` with one
detail-type per event type (EventBridge events reference, "Amazon SES events"), SES's event record (eventType, mail,
and delivery / bounce / complaint) as the detail.

An SES event names the message's recipients, never the user pool or the user. So a reset made by a bulk run leaves, in
the dedupe table, a record keyed by a hash of the address the code goes to (`recipient_key`) that names the run, and
the delivery events function finds the run by the same hash. A run's counts are users: each user's outcome is counted
once (`outcome_key`). Only hashes, run ids and counts are stored; no address is logged or kept.
"""

from __future__ import annotations

import hashlib
from typing import Final

SOURCE: Final = "aws.ses"
# The event types the stack publishes (SES API Reference v2, EventDestination.MatchingEventTypes), the eventType SES
# writes in each record, the detail-type EventBridge carries it under, where the record lists the recipients the event
# is about, and the run's counter it adds to. A complaint follows a delivery of the same message: the complained are
# among the delivered.
DELIVERY: Final = "DELIVERY"
BOUNCE: Final = "BOUNCE"
COMPLAINT: Final = "COMPLAINT"
MATCHING_EVENT_TYPES: Final = (DELIVERY, BOUNCE, COMPLAINT)
EVENT_TYPE: Final = {DELIVERY: "Delivery", BOUNCE: "Bounce", COMPLAINT: "Complaint"}
DETAIL_TYPE: Final = {DELIVERY: "Email Delivered", BOUNCE: "Email Bounced", COMPLAINT: "Email Complaint Received"}
RECIPIENTS: Final = {
    "Delivery": ("delivery", "recipients", None),
    "Bounce": ("bounce", "bouncedRecipients", "emailAddress"),
    "Complaint": ("complaint", "complainedRecipients", "emailAddress"),
}
COUNTER: Final = {"Delivery": "delivered", "Bounce": "bounced", "Complaint": "complained"}
COUNTERS: Final = ("delivered", "bounced", "complained")
# SES tags every message sent through a configuration set with the set's name (Developer Guide, "Event publishing":
# auto-tags): the stack's rule matches its own set's events by it.
CONFIGURATION_SET_TAG: Final = "ses:configuration-set"

# How long a reset's recipient record names its run: SES reports a bounce or a complaint within hours of the send, a
# delivery within seconds; two days cover a late feedback loop. A later run that resets the same address takes it over.
RECIPIENT_MEMORY_SECONDS: Final = 2 * 86_400
# How long an outcome that was counted is remembered (at least as long as the recipient's record names the run), so
# that EventBridge delivering an event again (at least once), SES publishing it again, or another message to the same
# user (their own "Forgot password" after the run) does not count the user twice.
OUTCOME_MEMORY_SECONDS: Final = RECIPIENT_MEMORY_SECONDS


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def normalised_address(address: str) -> str:
    """An address as the hash reads it: SES's recipient and the user's `email` attribute may differ in case."""
    return address.strip().lower()


def recipient_key(address: str) -> str:
    """The dedupe table's record of the last run whose reset sent a code to `address`."""
    return _digest("recipient", normalised_address(address))


def outcome_key(run_id: str, event_type: str, address: str) -> str:
    """One outcome (delivered, bounced, complained) for one recipient of one run: counted once, so that a run's counts
    are users, however many messages or events reach them."""
    return _digest("outcome", run_id, event_type, normalised_address(address))


def counts_key(run_id: str) -> str:
    """The run's delivery counts: a run id is an execution name, not a user's identifier."""
    return f"deliveries#{run_id}"
