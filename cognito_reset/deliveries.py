"""What became of a run's e-mails, as SES reported it: how many of the run's users SES delivered to, saw bounce and saw
complain about, which the stack's delivery events function keeps in the dedupe table (contracts.delivery_events), read
by the run's id. Counts only: nothing read here names a user.

SES publishes these events only for a pool that sends through its own SES identity with a configuration set
(Cognito API Reference, EmailConfigurationType, ConfigurationSet); a pool without one gets no counts, and the lines say
so rather than show zeros. The stack counts them for the pool it creates and for an existing one alike, and publishes
the table's name (DeliveryCountsTableName) only where it counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cognito_reset.stack import AwsAccess, StackResources
from contracts import stack as outputs
from contracts.cognito import COGNITO_DEFAULT, DEVELOPER
from contracts.delivery_events import COUNTERS, counts_key


@dataclass(frozen=True, slots=True)
class RunDeliveries:
    """A run's delivery counts, or why there are none: `configuration_set` is the pool's (None: it has none, or the
    pool could not be read: `pool_unread`), `counted` whether the stack counts SES's events at all."""

    run_id: str
    sending_account: str | None = None
    configuration_set: str | None = None
    pool_unread: str | None = None
    counted: bool = False
    delivered: int = 0
    bounced: int = 0
    complained: int = 0

    @property
    def published(self) -> bool | None:
        """Whether SES publishes the pool's delivery events (None: the pool could not be read)."""
        if self.pool_unread is not None:
            return None
        return self.sending_account == DEVELOPER and self.configuration_set is not None

    @property
    def why_not(self) -> str | None:
        """Why the counts are not there, in words; None when they are."""
        if self.published is False:
            if self.sending_account != DEVELOPER:
                return "not published (the pool sends through Cognito's own sender, not an SES identity)"
            return "not published (the pool has no configuration set)"
        if not self.counted:
            # The stack counts the events of whichever pool it serves, new or existing; a deployment without the
            # counts' output comes from a release that did not count this pool's.
            return "not counted by this stack (deployed before it counted this pool's SES events: deploy it again)"
        return None

    def document(self) -> dict[str, Any]:
        counts = {"delivered": self.delivered, "bounced": self.bounced, "complained": self.complained}
        return {
            "deliveries": {
                "published": self.published,
                "configurationSet": self.configuration_set,
                "counted": self.counted,
                **(counts if self.why_not is None else dict.fromkeys(counts)),
                "note": self.why_not,
            }
        }

    def lines(self) -> list[str]:
        if self.why_not is not None:
            return [f"  delivery events: {self.why_not}"]
        unread = f" (the pool could not be read: {self.pool_unread})" if self.pool_unread else ""
        return [
            f"  users' e-mail as SES reported it: delivered {self.delivered:,}, bounced {self.bounced:,}, complained "
            f"{self.complained:,} (a complaint follows a delivery; reports arrive for hours){unread}"
        ]


def read_deliveries(aws: AwsAccess, resources: StackResources, run_id: str) -> RunDeliveries:
    """The run's counts, and whether the stack's pool publishes them (DescribeUserPool's EmailConfiguration). A pool
    that cannot be read is reported as such; the counts are still read. Raises ClientError or BotoCoreError when the
    table cannot be read."""
    email: dict[str, Any] = {}
    unread = None
    try:
        pool = aws.client("cognito-idp").describe_user_pool(UserPoolId=resources.require(outputs.USER_POOL_ID))
        email = pool["UserPool"].get("EmailConfiguration") or {}
    except (ClientError, BotoCoreError) as error:
        unread = error.response.get("Error", {}).get("Code", "error") if isinstance(error, ClientError) else "error"
    deliveries = RunDeliveries(
        run_id,
        sending_account=None if unread else str(email.get("EmailSendingAccount") or COGNITO_DEFAULT),
        configuration_set=email.get("ConfigurationSet") or None,
        pool_unread=unread,
    )
    table = resources.outputs.get(outputs.DELIVERY_COUNTS_TABLE_NAME)
    if not table or deliveries.published is False:
        return deliveries
    item = aws.client("dynamodb").get_item(TableName=table, Key={"id": {"S": counts_key(run_id)}}).get("Item") or {}
    counts = {name: int(float(item.get(name, {}).get("N", "0"))) for name in COUNTERS}
    return RunDeliveries(
        run_id,
        sending_account=deliveries.sending_account,
        configuration_set=deliveries.configuration_set,
        pool_unread=unread,
        counted=True,
        **counts,
    )
