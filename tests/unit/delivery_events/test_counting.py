"""The delivery events function (functions/delivery_events): SES's delivery, bounce and complaint events counted into
the run whose reset sent the message, once however often an event comes, other mail left alone, and counts only in
its logs: a run's counts are users. Over an in-memory table; the events as SES publishes them to EventBridge."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest

from contracts.delivery_events import counts_key, recipient_key
from delivery_events.counting import count_event, recipients
from delivery_events.handler import build_handler, logger
from tests.lambda_context import LambdaContext

# Distinctive, so that a leak into the logs cannot hide behind a common word.
LENA, BOUNCING, COMPLAINING = "zq9-lena@mail.example", "zq9-bounce@mail.example", "zq9-spam@mail.example"
MESSAGE_ID = "010201abcdef0123-7c1e4f2a-1111-2222-3333-444455556666-000000"


class InMemoryCounts:
    """The dedupe table as the counting uses it: recipients' runs, and counted outcomes with the runs' counters."""

    def __init__(self, runs: Mapping[str, str]) -> None:
        self.runs = {recipient_key(address): run for address, run in runs.items()}
        self.outcomes: set[str] = set()
        self.counts: dict[str, dict[str, int]] = {}

    def run_of(self, recipient: str) -> str | None:
        return self.runs.get(recipient)

    def count_once(self, outcome: str, counts: str, counter: str, *, outcome_expires: int, counts_expires: int) -> bool:
        if outcome in self.outcomes:
            return False
        self.outcomes.add(outcome)
        item = self.counts.setdefault(counts, {})
        item[counter] = item.get(counter, 0) + 1
        return True


def record(event_type: str, address: str, message_id: str = MESSAGE_ID) -> dict[str, Any]:
    """SES's event record (Developer Guide, "Contents of event data that Amazon SES publishes"), trimmed."""
    mail = {"messageId": message_id, "destination": [address], "tags": {"ses:configuration-set": ["set"]}}
    detail: dict[str, Any] = {"eventType": event_type, "mail": mail}
    if event_type == "Delivery":
        detail["delivery"] = {"recipients": [address], "smtpResponse": "250 2.6.0 Message received"}
    elif event_type == "Bounce":
        detail["bounce"] = {"bounceType": "Permanent", "bouncedRecipients": [{"emailAddress": address}]}
    elif event_type == "Complaint":
        detail["complaint"] = {"complainedRecipients": [{"emailAddress": address}], "complaintFeedbackType": "abuse"}
    return detail


@pytest.fixture
def table() -> InMemoryCounts:
    return InMemoryCounts({LENA: "run-1", BOUNCING: "run-1", COMPLAINING: "run-2"})


def test_each_event_adds_to_its_runs_counter(table: InMemoryCounts) -> None:
    for detail in (
        record("Delivery", LENA),
        record("Bounce", BOUNCING, "m-2"),
        record("Delivery", COMPLAINING, "m-3"),
        record("Complaint", COMPLAINING, "m-3"),
    ):
        count_event(detail, table)

    assert table.counts == {
        counts_key("run-1"): {"delivered": 1, "bounced": 1},
        counts_key("run-2"): {"delivered": 1, "complained": 1},
    }


def test_a_user_is_counted_once_per_outcome_however_often_an_event_or_another_message_reaches_them(
    table: InMemoryCounts,
) -> None:
    first = count_event(record("Delivery", LENA), table)
    again = count_event(record("Delivery", LENA.upper()), table)  # the event again; SES may spell it in another case
    own_request = count_event(record("Delivery", LENA, "m-her-own"), table)  # her own "Forgot password" after the run
    bounced_later = count_event(record("Bounce", LENA, "m-later"), table)

    assert (first.counted, again.repeated, own_request.repeated) == ({"run-1": 1}, 1, 1)
    assert bounced_later.counted == {"run-1": 1}  # another outcome of the same user counts under its own counter
    assert table.counts == {counts_key("run-1"): {"delivered": 1, "bounced": 1}}


def test_mail_no_run_sent_and_event_types_not_counted_are_left_alone(table: InMemoryCounts) -> None:
    other = count_event(record("Delivery", "zq9-someone-else@mail.example"), table)
    opened = count_event({"eventType": "Open", "mail": {"messageId": "m", "destination": [LENA]}}, table)
    garbled = count_event({"eventType": "Delivery", "delivery": {"recipients": "not a list"}}, table)

    assert (other.not_a_runs, opened.counted, garbled.counted, garbled.not_a_runs) == (1, {}, {}, 0)
    assert table.counts == {}


def test_recipients_fall_back_to_the_mails_destination() -> None:
    detail = {"eventType": "Delivery", "mail": {"messageId": "m", "destination": [LENA, BOUNCING]}, "delivery": {}}

    assert list(recipients(detail)) == [LENA, BOUNCING]


def test_the_handler_logs_counts_and_event_types_never_an_address_or_message_id(
    table: InMemoryCounts, caplog: pytest.LogCaptureFixture
) -> None:
    handle = build_handler(lambda: table)
    event = {"source": "aws.ses", "detail-type": "Email Bounced", "detail": record("Bounce", BOUNCING)}

    answer = handle(event, LambdaContext())

    # The logger keeps the stdout it was built with (at import): its lines are its records, as it formats them.
    logged = [logger.registered_formatter.format(entry) for entry in caplog.records]
    [line] = [json.loads(text) for text in logged if "delivery event counted" in text]
    assert (line["event_type"], line["counter"], line["counted"]) == ("Bounce", "bounced", {"run-1": 1})
    assert answer["counted"] == {"run-1": 1}
    for secret in (BOUNCING, "zq9-bounce", MESSAGE_ID):
        assert not [text for text in logged if secret in text]
