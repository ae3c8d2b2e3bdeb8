"""What was delivered, end to end on the SES deployment: a bulk run to lena, sam and the SES mailbox simulator's
bounce, complaint and success addresses; SES's events (played from the pool's configuration set) reach the stack's
counting function through the default bus, and `cognito-reset status RUN` shows the run's delivered, bounced and
complained counts as the outbox has them, while no function logs an address."""

from __future__ import annotations

import json

import pytest

from local_aws.emulation.delivery import mailbox_simulator_scenario
from local_aws.harness.pool import add_user, create_app_client
from local_aws.harness.system import LocalSystem
from tests.e2e.test_operator_cli import cognito_reset

SIMULATED = {
    "zq9-bounced": "bounce+zq9b@simulator.amazonses.com",
    "zq9-complained": "complaint+zq9c@simulator.amazonses.com",
    "zq9-delivered": "success+zq9d@simulator.amazonses.com",
}


def test_status_shows_what_ses_reported_for_the_run_and_no_log_names_an_address(
    ses_system: LocalSystem, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    for username, address in SIMULATED.items():
        add_user(ses_system.cognito, ses_system.stack.user_pool_id, username, email=address)
    manifest = "".join(json.dumps({"username": name}) + "\n" for name in ["lena", "sam", *SIMULATED])
    capfd.readouterr()

    run = ses_system.run_bulk(manifest, run_id="drill-7", defaults={"clientMetadata": {"reason": "security_incident"}})
    ses_system.emulation.events.drain()
    # After the run, sam asks for a code of his own: its e-mail is delivered and published too.
    ses_system.request_own_code(create_app_client(ses_system.cognito, ses_system.stack.user_pool_id), "sam")
    ses_system.emulation.events.drain()
    logged = capfd.readouterr()
    shown = cognito_reset(ses_system, "--json", "status", "drill-7", "--no-completion")
    doctor = json.loads(cognito_reset(ses_system, "--json", "doctor").stdout)

    assert run["status"] == "SUCCEEDED"
    sent = [message.email_to for message in ses_system.outbox.messages if message.undelivered is None]
    scenarios = [mailbox_simulator_scenario(address or "") for address in sent[:5]]
    expected = {
        "delivered": sum(scenario != "bounce" for scenario in scenarios),  # a complaint follows a delivery
        "bounced": scenarios.count("bounce"),
        "complained": scenarios.count("complaint"),
    }
    assert expected == {"delivered": 4, "bounced": 1, "complained": 1}
    assert shown.returncode == 0, shown.stderr
    deliveries = json.loads(shown.stdout)["deliveries"]
    assert deliveries["configurationSet"] == doctor["configurationSet"]  # the set the stack gave the new pool
    assert "NO_CONFIGURATION_SET" not in [problem["code"] for problem in doctor["problems"]]
    assert deliveries == {
        "published": True,
        "configurationSet": deliveries["configurationSet"],
        "counted": True,
        **expected,
        "note": None,
    }
    counting = [
        invocation.payload
        for delivery, invocation in ses_system.emulation.events.delivered
        if delivery.event["source"] == "aws.ses"
    ]
    assert len(counting) == 7  # the run's 5 e-mails gave 6 events (the complaint's delivery too); sam's own code 1
    # Sam's own code after the run reached a user the run counted already: the run's counts are users.
    assert (counting[-1]["counted"], counting[-1]["repeated"]) == ({}, 1)
    # The Powertools loggers keep the stream they were built with (at import): their lines are their records, every
    # field of them; the custom message trigger writes its own lines to the process's stdout.
    records = [json.dumps({key: str(value) for key, value in vars(record).items()}) for record in caplog.records]
    function_logs = "\n".join([logged.out, logged.err, *records])
    assert "delivery event counted" in function_logs
    for address in [*SIMULATED.values(), "lena@example.com", "sam@example.com"]:
        assert address not in function_logs
