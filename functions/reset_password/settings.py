"""The reset function's configuration: environment variables read once, validated, into one typed object."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from contracts.cognito import USER_POOL_ID_MAX_LENGTH
from contracts.patterns import USER_POOL_ID

DEFAULT_COOLDOWN_SECONDS = 900
MAX_COOLDOWN_SECONDS = 86_400


class SettingsError(ValueError):
    """The function is deployed with a configuration it cannot run with; the message names the variable."""


@dataclass(frozen=True, slots=True)
class ResetSettings:
    default_user_pool_id: str | None
    allowed_user_pool_ids: frozenset[str]
    idempotency_table_name: str | None = None
    cooldown_seconds: int = DEFAULT_COOLDOWN_SECONDS
    audit_event_bus_name: str | None = None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> ResetSettings:
        default_pool = environ.get("USER_POOL_ID", "").strip() or None
        listed = [pool.strip() for pool in environ.get("ALLOWED_USER_POOL_IDS", "").split(",") if pool.strip()]
        allowed = frozenset(listed or ([default_pool] if default_pool else []))
        for name, pools in (
            ("USER_POOL_ID", [default_pool] if default_pool else []),
            ("ALLOWED_USER_POOL_IDS", listed),
        ):
            for pool in pools:
                if len(pool) > USER_POOL_ID_MAX_LENGTH or not USER_POOL_ID.fullmatch(pool):
                    raise SettingsError(f"{name}: '{pool}' is not a user pool id (like eu-west-1_AbC123xyz)")
        if default_pool and default_pool not in allowed:
            raise SettingsError("USER_POOL_ID: the default pool must also be listed in ALLOWED_USER_POOL_IDS")
        if not allowed:
            raise SettingsError("USER_POOL_ID or ALLOWED_USER_POOL_IDS: at least one user pool must be configured")
        cooldown_text = environ.get("COOLDOWN_SECONDS", "").strip() or str(DEFAULT_COOLDOWN_SECONDS)
        if not cooldown_text.isdigit() or not 1 <= int(cooldown_text) <= MAX_COOLDOWN_SECONDS:
            raise SettingsError(f"COOLDOWN_SECONDS: must be a whole number of seconds from 1 to {MAX_COOLDOWN_SECONDS}")
        return cls(
            default_user_pool_id=default_pool,
            allowed_user_pool_ids=allowed,
            idempotency_table_name=environ.get("IDEMPOTENCY_TABLE_NAME", "").strip() or None,
            cooldown_seconds=int(cooldown_text),
            audit_event_bus_name=environ.get("AUDIT_EVENT_BUS_NAME", "").strip() or None,
        )
