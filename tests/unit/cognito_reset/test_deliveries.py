"""`cognito-reset status RUN`: the run's delivered, bounced and complained counts beside its summary, as the stack's
delivery events function keeps them, or why there are none."""

from __future__ import annotations

import json

from contracts import stack as outputs
from contracts.delivery_events import counts_key
from tests.unit.cognito_reset.fakes import (
    CONFIGURATION_SET,
    POOL,
    FakeAws,
    FakeCognito,
    Reading,
    pool_settings,
    summary_output,
)
from tests.unit.cognito_reset.test_cli import invoke

TABLE = "CognitoPasswordReset-IdempotencyTable"


def counted_aws(*, settings: dict[str, object] | None = None, **counts: int) -> FakeAws:
    aws = FakeAws(cognito=FakeCognito(users={POOL: {}}, settings=settings or pool_settings(ses=True)))
    aws.stack_outputs[outputs.DELIVERY_COUNTS_TABLE_NAME] = TABLE
    if counts:
        aws.dynamodb.items[counts_key("run-1")] = {name: {"N": str(n)} for name, n in counts.items()}
    return aws


def ended(aws: FakeAws) -> None:
    output = summary_output("run-1", {"reset": 5})
    aws.sfn.add("run-1", [Reading("SUCCEEDED", {"total": 5, "succeeded": 5}, output=output)])


def test_an_ended_run_shows_what_ses_reported_beside_its_summary() -> None:
    aws = counted_aws(delivered=4, bounced=1, complained=1)
    ended(aws)

    shown = invoke(aws, "status", "run-1", "--no-completion")
    document = json.loads(invoke(aws, "--json", "status", "run-1", "--no-completion").stdout)

    assert shown.exit_code == 0, shown.output
    assert "  users' e-mail as SES reported it: delivered 4, bounced 1, complained 1" in shown.stdout
    assert document["deliveries"] == {
        "published": True,
        "configurationSet": CONFIGURATION_SET,
        "counted": True,
        "delivered": 4,
        "bounced": 1,
        "complained": 1,
        "note": None,
    }
    assert aws.dynamodb.tables == [TABLE, TABLE]


def test_a_running_run_shows_the_counts_so_far_under_its_progress() -> None:
    aws = counted_aws(delivered=2)
    aws.sfn.add("run-1", [Reading(items={"total": 5, "succeeded": 2})])

    shown = invoke(aws, "status", "run-1")

    assert shown.stdout.splitlines()[1].startswith(
        "  users' e-mail as SES reported it: delivered 2, bounced 0, complained 0"
    )


def test_an_existing_pools_own_configuration_set_is_counted_where_the_stack_names_the_table() -> None:
    """The deployer's set, not the stack's: a stack that counts it publishes the table, and status shows the counts."""
    settings = pool_settings(ses=True)
    settings["EmailConfiguration"]["ConfigurationSet"] = "transactional"
    aws = counted_aws(settings=settings, delivered=3)
    ended(aws)

    shown = invoke(aws, "status", "run-1", "--no-completion")
    document = json.loads(invoke(aws, "--json", "status", "run-1", "--no-completion").stdout)

    assert "  users' e-mail as SES reported it: delivered 3, bounced 0, complained 0" in shown.stdout
    assert "not counted" not in shown.stdout
    deliveries = document["deliveries"]
    assert (deliveries["configurationSet"], deliveries["counted"], deliveries["note"]) == ("transactional", True, None)


def test_a_pool_without_a_configuration_set_says_its_events_are_not_published_and_reads_no_counts() -> None:
    settings = pool_settings(ses=True)
    del settings["EmailConfiguration"]["ConfigurationSet"]
    aws = counted_aws(settings=settings)
    ended(aws)

    shown = invoke(aws, "status", "run-1", "--no-completion")
    document = json.loads(invoke(aws, "--json", "status", "run-1", "--no-completion").stdout)

    assert "  delivery events: not published (the pool has no configuration set)" in shown.stdout
    assert (document["deliveries"]["published"], document["deliveries"]["delivered"]) == (False, None)
    assert aws.dynamodb.tables == []


def test_cognitos_own_sender_publishes_nothing_and_a_stack_that_does_not_count_says_so() -> None:
    own_sender = FakeAws()
    ended(own_sender)
    not_counted = FakeAws(cognito=FakeCognito(settings=pool_settings(ses=True)))
    ended(not_counted)

    assert "  delivery events: not published (the pool sends through Cognito's own sender" in (
        invoke(own_sender, "status", "run-1", "--no-completion").stdout
    )
    assert "  delivery events: not counted by this stack (deployed before it counted this pool's SES events" in (
        invoke(not_counted, "status", "run-1", "--no-completion").stdout
    )
