"""`make demo`: the reset function at work against an embedded local AWS, no account needed.

Everything printed comes from this run: the pool's user statuses are read back from the local Cognito, the results
are what the real handler returned.
"""

from __future__ import annotations

import json
import os
from typing import Any

from local_aws.lambda_context import LambdaContext
from local_aws.pool import add_user, create_user_pool, user_status
from local_aws.server import LocalAws, running_local_aws


def _line(text: str = "") -> None:
    print(text, flush=True)


def _show_result(result: dict[str, Any]) -> None:
    shown = {key: value for key, value in result.items() if value not in (None, False)}
    _line(f"    result: {json.dumps(shown)}")


def _provision(aws: LocalAws) -> tuple[Any, str]:
    cognito = aws.client("cognito-idp")
    pool_id = create_user_pool(cognito, "acme-customers")
    add_user(cognito, pool_id, "alice", email="alice@example.com", locale="de-AT", given_name="Alice")
    add_user(cognito, pool_id, "bob", email="bob@example.com", enabled=False)
    add_user(cognito, pool_id, "carol", email="carol@example.com", email_verified=False)
    add_user(cognito, pool_id, "dave", email="dave@example.com", locale="en")
    aws.client("dynamodb").create_table(
        TableName="reset-dedupe",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return cognito, pool_id


def main() -> None:
    with running_local_aws() as aws:
        os.environ.update(aws.environment)
        cognito, pool_id = _provision(aws)
        os.environ.update(
            {
                "USER_POOL_ID": pool_id,
                "IDEMPOTENCY_TABLE_NAME": "reset-dedupe",
                "COOLDOWN_SECONDS": "900",
                "POWERTOOLS_LOG_LEVEL": "WARNING",  # the outcome lines are shown below, from the results
                "POWERTOOLS_METRICS_DISABLED": "true",
            }
        )
        from reset_password.handler import lambda_handler  # noqa: PLC0415 - its logger reads the environment set above

        _line(f"Local AWS (moto) listening on {aws.endpoint_url}; user pool {pool_id} with 4 users.")
        _line()
        _line("1. A SIEM finding arrives on EventBridge: reset alice, sign her out everywhere.")
        event = {
            "version": "0",
            "id": "0d0a2c6e-3b8e-4d6f-9c1a-7f2b7d5e9a10",
            "detail-type": "Password Reset Requested",
            "source": "acme.siem",
            "account": "123456789012",
            "time": "2026-11-23T03:12:00Z",
            "region": aws.environment["AWS_DEFAULT_REGION"],
            "resources": [],
            "detail": {
                "username": "alice",
                "globalSignOut": True,
                "requestId": "sec-4211-alice",
                "clientMetadata": {"reason": "security_incident", "locale": "de-AT", "reference": "SEC-4211"},
            },
        }
        _line(f"    alice before: {user_status(cognito, pool_id, 'alice')}")
        _show_result(lambda_handler(event, LambdaContext()))
        _line(f"    alice after:  {user_status(cognito, pool_id, 'alice')}")
        _line()
        _line("2. A bulk batch (Step Functions ItemBatcher shape) with a shared reason, five items:")
        batch = {
            "BatchInput": {"clientMetadata": {"reason": "policy_rotation", "brand": "acme"}},
            "Items": [
                {"email": "dave@example.com"},
                {"username": "bob"},
                {"username": "carol"},
                {"username": "ghost"},
                {"username": "alice", "requestId": "sec-4211-alice"},
            ],
        }
        before = {name: user_status(cognito, pool_id, name) for name in ("alice", "bob", "carol", "dave")}
        output = lambda_handler(batch, LambdaContext())
        for item, result in zip(batch["Items"], output["results"], strict=True):
            username = result["username"] or "-"
            status_change = ""
            if username in before:
                status_change = f"   {before[username]} -> {user_status(cognito, pool_id, username)}"
            outcome = result["status"] + (f" {result['reason']}" if result["reason"] else "")
            _line(f"    {json.dumps(item):54} {outcome:28}{status_change}".rstrip())
        _line(f"    counts: {json.dumps(output['counts'])}")
        _line()
        _line("3. Bad input is refused field by field, and nothing reaches Cognito:")
        invalid = {"username": "", "globalSignout": True, "clientMetadata": {"reference": 42}}
        _show_result(lambda_handler(invalid, LambdaContext()))


if __name__ == "__main__":
    main()
