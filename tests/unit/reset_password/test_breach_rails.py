"""The breach rails of contract 1: `holdModifiedSince` holds a user whose record changed after the incident began (their
e-mail or phone may be the attacker's), `excludeGroups` keeps break-glass and administrator accounts out. Both judged
on the pool's own user, also in a dry run, never by a row, and a retry of what the request already did is not held by
the change its own reset made."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from contracts.results import FailureReason, ResetStatus
from reset_password import handler
from reset_password.logic import ResetDependencies
from tests.lambda_context import LambdaContext
from tests.unit.reset_password.conftest import POOL
from tests.unit.reset_password.fakes import FakeCognito, FakeUser

# The fake pool's users were last changed at 1,000,000 s after the epoch (1970-01-12T13:46:40Z); each change moves on.
INCIDENT = datetime.fromtimestamp(1_000_000 - 60, tz=UTC).isoformat()  # a minute before: every user changed since
LATER = datetime.fromtimestamp(1_000_000 + 3600, tz=UTC).isoformat()  # an hour after: nobody changed since


@pytest.fixture
def users(cognito: FakeCognito) -> dict[str, FakeUser]:
    made = {
        name: cognito.add_user(POOL, name, attributes={"email": f"{name}@example.com", "email_verified": "true"})
        for name in ("ann", "ben", "root")
    }
    made["root"].groups = ["break-glass", "staff"]
    return made


def invoke(deps: ResetDependencies, event: object) -> Any:
    return handler.build_handler(lambda: deps)(event, LambdaContext())


def batch(run_id: str, names: tuple[str, ...], **defaults: Any) -> dict[str, Any]:
    return {
        "BatchInput": {"runId": run_id, **defaults},
        "Items": [{"index": n, "row": {"username": name}} for n, name in enumerate(names)],
    }


def test_a_user_changed_since_the_hold_is_held_for_review_and_sent_nothing(
    deps: ResetDependencies, users: dict[str, FakeUser]
) -> None:
    users["ben"].last_modified = 1_000_000.0 + 7200  # ben's e-mail changed after the incident began

    done = invoke(deps, batch("run-1", ("ann", "ben"), holdModifiedSince=LATER, globalSignOut=True))

    (ann, ben) = done["results"]
    assert (ann["status"], ann["signedOut"]) == (ResetStatus.RESET, True)
    assert (ben["status"], ben["reason"], ben["signedOut"]) == (
        ResetStatus.FAILED,
        FailureReason.HELD_FOR_REVIEW,
        False,
    )
    assert "verify them" in ben["detail"]
    assert (len(users["ann"].codes_sent), len(users["ben"].codes_sent)) == (1, 0)
    assert (users["ben"].status, users["ben"].sessions) == ("CONFIRMED", 1)


def test_a_retry_of_the_rows_own_reset_replays_it_and_is_not_held_by_that_change(
    deps: ResetDependencies, users: dict[str, FakeUser]
) -> None:
    rows = batch("run-1", ("ann",), holdModifiedSince=LATER)
    first = invoke(deps, rows)
    assert users["ann"].last_modified > datetime.fromisoformat(LATER).timestamp() - 3600  # the reset moved it

    users["ann"].last_modified = 1_000_000.0 + 7200  # as if the reset had happened after the hold time
    again = invoke(deps, rows)

    assert first["results"][0]["status"] == ResetStatus.RESET
    assert (again["results"][0]["status"], again["results"][0]["replayed"]) == (ResetStatus.RESET, True)
    assert len(users["ann"].codes_sent) == 1


def test_a_dry_run_says_who_would_be_held(deps: ResetDependencies, users: dict[str, FakeUser]) -> None:
    done = invoke(deps, batch("run-1", ("ann",), holdModifiedSince=INCIDENT, dryRun=True))

    assert (done["results"][0]["status"], done["results"][0]["reason"]) == (
        ResetStatus.FAILED,
        FailureReason.HELD_FOR_REVIEW,
    )
    assert users["ann"].codes_sent == []


def test_members_of_an_excluded_group_are_skipped_and_others_reset(
    deps: ResetDependencies, cognito: FakeCognito, users: dict[str, FakeUser]
) -> None:
    done = invoke(deps, batch("run-1", ("ann", "root"), excludeGroups=["break-glass", "admins"], globalSignOut=True))

    (ann, root) = done["results"]
    assert ann["status"] == ResetStatus.RESET
    assert (root["status"], root["duplicate"], root["signedOut"]) == (ResetStatus.SKIPPED, False, False)
    assert root["detail"].startswith("a member of break-glass, which this request excludes")
    assert (len(users["ann"].codes_sent), users["root"].codes_sent, users["root"].sessions) == (1, [], 1)
    assert cognito.calls.count("groups_of") == 2


def test_without_excluded_groups_no_group_is_read(deps: ResetDependencies, cognito: FakeCognito, users: Any) -> None:
    invoke(deps, batch("run-1", ("root",)))

    assert "groups_of" not in cognito.calls
    assert len(users["root"].codes_sent) == 1


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"username": "ann", "holdModifiedSince": LATER}, "holdModifiedSince"),
        ({"username": "ann", "excludeGroups": ["nobody"]}, "excludeGroups"),
    ],
)
def test_a_row_can_never_set_a_rail(deps: ResetDependencies, users: Any, row: dict[str, Any], field: str) -> None:
    done = invoke(deps, {"BatchInput": {"runId": "run-1"}, "Items": [{"index": 0, "row": row}]})

    (result,) = done["results"]
    assert (result["status"], result["reason"]) == (ResetStatus.FAILED, FailureReason.INVALID_REQUEST)
    assert result["detail"].startswith(f"{field}: set for the whole run")
    assert users["ann"].codes_sent == []


@pytest.mark.parametrize("since", ["2026-12-04T22:00:00", "yesterday", "2026-13-01T00:00:00Z"])
def test_a_hold_time_without_its_offset_or_not_a_time_is_refused_naming_the_field(
    deps: ResetDependencies, users: Any, since: str
) -> None:
    done = invoke(deps, {"username": "ann", "holdModifiedSince": since})

    assert (done["status"], done["reason"]) == (ResetStatus.FAILED, FailureReason.INVALID_REQUEST)
    assert "holdModifiedSince" in done["detail"]
    assert users["ann"].codes_sent == []
