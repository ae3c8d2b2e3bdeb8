"""SES's send rate as a bound on resets: every reset sends one e-mail, and past SES's rate Cognito refuses the reset.

Where a pool sends through its own SES identity (EmailSendingAccount DEVELOPER; API Reference, EmailConfigurationType),
the account's SES quotas apply to every code (Amazon SES Developer Guide, "Managing your Amazon SES sending quotas":
a maximum send rate per second, MaxSendRate in GetSendQuota, in the identity's Region). A container reads the pool's
e-mail configuration and that rate once, when it starts, and paces its resets under its share of it, beside its
share of Cognito's own quota (pacing.py). Under Cognito's own sender the daily limit, not a rate, is what binds.

Best effort: where the pool or SES cannot be read, the container paces by Cognito's budget alone and says so; a rate
SES then refuses is a throttle (logic.is_throttled), which slows the container down as Cognito's does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from contracts.cognito import DEVELOPER
from reset_password.observability import logger


def ses_send_rate(cognito: Any, ses_in: Callable[[str], Any], user_pool_id: str) -> float | None:
    """SES's MaxSendRate for the pool's e-mail identity, or None where the pool does not send through SES (or it cannot
    be read)."""
    try:
        pool = cognito.describe_user_pool(UserPoolId=user_pool_id)["UserPool"]
        configuration = pool.get("EmailConfiguration") or {}
        if configuration.get("EmailSendingAccount") != DEVELOPER:
            return None
        # arn:aws:ses:<region>:<account>:identity/<identity>: SES is asked where the identity is.
        region = str(configuration.get("SourceArn") or "").split(":")[3:4]
        if not region or not region[0]:
            return None
        rate = float(ses_in(region[0]).get_send_quota()["MaxSendRate"])
    except Exception as error:  # noqa: BLE001 - best effort: the budget alone paces, and a refusal is a throttle
        logger.warning(
            "SES send rate not read: resets are paced by the Cognito budget alone",
            extra={"error_type": type(error).__name__},
        )
        return None
    return rate if rate > 0 else None


def reset_rate(cognito_share: float | None, ses_rate: float | None, ses_share: float | None) -> float | None:
    """The container's reset rate: its share of Cognito's budget, and of SES's send rate where that binds."""
    if ses_rate is None or ses_share is None:
        return cognito_share
    ses_bound = ses_rate * ses_share
    return ses_bound if cognito_share is None else min(cognito_share, ses_bound)
