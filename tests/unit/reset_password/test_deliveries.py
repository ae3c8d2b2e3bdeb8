"""A bulk run's resets leave, for SES's delivery events, which run sent a code to which address
(reset_password/deliveries.py): under a hash of the address, never the address; a later run takes the address over;
a failing table costs the count, never the reset. Over the fakes."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pytest

from contracts.delivery_events import RECIPIENT_MEMORY_SECONDS, recipient_key
from reset_password.deliveries import remember_recipient
from reset_password.directory import DirectoryUser
from reset_password.ledger import Ledger, LedgerUnavailable
from reset_password.logic import ResetDependencies
from reset_password.retry import Deadline
from tests.unit.reset_password.conftest import Clock
from tests.unit.reset_password.fakes import FakeUser, InMemoryLedgerTable
from tests.unit.reset_password.test_run_memory import batch, invoke, row


@pytest.fixture
def counting(deps: ResetDependencies) -> ResetDependencies:
    """A deployment that counts SES's delivery events (the stack sets DELIVERY_EVENTS_COUNTED)."""
    return replace(deps, settings=deps.settings.model_copy(update={"delivery_events_counted": True}))


ALICE = DirectoryUser(
    "alice", True, "CONFIRMED", {"sub": "s-1", "email": "Alice@Example.com", "email_verified": "true"}
)


def test_a_runs_reset_names_its_run_under_the_hash_of_the_address_the_code_goes_to(
    counting: ResetDependencies, table: InMemoryLedgerTable, alice: FakeUser, clock: Clock
) -> None:
    invoke(counting, batch("incident-4211", row(0, {"username": "alice"})))

    record = table.items[recipient_key("ALICE@example.com")]
    assert (record["run_id"], record["expiration"]) == ("incident-4211", int(clock.now) + RECIPIENT_MEMORY_SECONDS)
    assert "alice@example.com" not in json.dumps(table.items).lower()


def test_a_request_outside_a_run_records_no_recipient(
    counting: ResetDependencies, table: InMemoryLedgerTable, alice: FakeUser
) -> None:
    invoke(counting, {"username": "alice"})

    assert recipient_key("alice@example.com") not in table.items


def test_where_nothing_counts_delivery_events_a_run_records_no_recipient(
    deps: ResetDependencies, table: InMemoryLedgerTable, alice: FakeUser
) -> None:
    invoke(deps, batch("incident-4211", row(0, {"username": "alice"})))

    assert recipient_key("alice@example.com") not in table.items
    assert len(alice.codes_sent) == 1


def test_a_later_run_takes_the_address_over(ledger: Ledger, table: InMemoryLedgerTable, deadline: Deadline) -> None:
    assert remember_recipient(ledger, ALICE, "run-1", deadline)
    assert remember_recipient(ledger, ALICE, "run-2", deadline)

    assert table.items[recipient_key("alice@example.com")]["run_id"] == "run-2"


@pytest.mark.parametrize(
    "attributes",
    [{"sub": "s-1"}, {"sub": "s-1", "email": "alice@example.com", "email_verified": "false"}],
    ids=["no-address", "unverified"],
)
def test_no_verified_address_records_nothing(
    ledger: Ledger, table: InMemoryLedgerTable, deadline: Deadline, attributes: dict[str, str]
) -> None:
    assert not remember_recipient(ledger, DirectoryUser("alice", True, "CONFIRMED", attributes), "run-1", deadline)
    assert table.items == {}


class _RecipientsFail(InMemoryLedgerTable):
    """A table whose every write of a recipient record fails (the user's records are written as ever)."""

    def write(self, key: str, item: Mapping[str, Any], **kwargs: Any) -> bool:
        if key == recipient_key("alice@example.com"):
            raise LedgerUnavailable("InternalServerError")
        return super().write(key, item, **kwargs)


def test_a_failing_table_costs_the_count_not_the_reset(
    counting: ResetDependencies, table: InMemoryLedgerTable, alice: FakeUser, ledger: Ledger, deadline: Deadline
) -> None:
    table.fail_next(1)
    assert not remember_recipient(ledger, ALICE, "run-1", deadline)

    failing = Ledger(_RecipientsFail(), cooldown_seconds=3600, lease_seconds=30.0)
    results = invoke(replace(counting, ledger=failing), batch("run-1", row(0, {"username": "alice"})))

    assert results["results"][0]["status"] == "reset"
    assert len(alice.codes_sent) == 1
