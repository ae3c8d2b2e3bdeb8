"""Which run a reset's e-mail belongs to, for SES's delivery events (contracts.delivery_events): a reset made by a bulk
run records, under a hash of the address its code went to, the run's id; the delivery events function finds the run
from the address SES reports. Best effort: a record that cannot be written leaves that one message uncounted, never
the reset undone."""

from __future__ import annotations

from typing import Final

from contracts.delivery_events import RECIPIENT_MEMORY_SECONDS, recipient_key
from reset_password.directory import DirectoryUser
from reset_password.ledger import Ledger, LedgerUnavailable
from reset_password.retry import Deadline

EMAIL: Final = "email"


def remember_recipient(ledger: Ledger, user: DirectoryUser, run_id: str, deadline: Deadline) -> bool:
    """Record, before the reset call, that `run_id`'s reset sends `user`'s code to their verified e-mail address (where
    a pool that recovers by e-mail sends it); a later run's record replaces an earlier one. A record left by a call that
    then sent nothing is harmless: no SES event names the address. False when nothing was recorded (no verified
    address, no time, or the table did not take it)."""
    address = user.attributes.get(EMAIL)
    if not address or user.attributes.get("email_verified") != "true":
        return False
    key, now = recipient_key(address), ledger.clock()
    item = {"run_id": run_id, "at": now}
    expires = int(now) + RECIPIENT_MEMORY_SECONDS
    replacing: str | None = None  # first as a new record, then in place of the one found
    try:
        for _ in range(2):
            # This write, and the reset call that follows it, within the invocation's time.
            if not deadline.allows(2 * ledger.call_seconds + ledger.reserve_seconds):
                return False
            if ledger.table.write(key, item, token=ledger.new_token(), expires=expires, replacing=replacing):
                return True
            current = ledger.table.read(key)
            replacing = str(current.get("token", "")) if current is not None else None
    except LedgerUnavailable:
        return False
    return False  # another reset of the same address wrote it in between: that one speaks for it
