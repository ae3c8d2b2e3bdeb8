"""A bulk run's stop mark, in the run's memory (the reset function's dedupe table, the stack's RunMemoryTableName):
`cognito-reset stop` writes it, and the run's batches, which read it every few seconds (reset_password.handler.RunHalt),
start no other user; `cognito-reset redrive` lifts it, so a redriven run runs. The mark is written through the reset
function's own ledger, so both read and write the one record format."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from cognito_reset.stack import OperatorError
from reset_password.ledger import DynamoDBLedgerTable, Ledger, LedgerUnavailable, halt_key
from reset_password.retry import Deadline

# How long one mark's writing may take, its table calls retried inside it.
CALL_SECONDS: Final = 30.0


@dataclass(slots=True)
class RunMemory:
    dynamodb: Any
    table_name: str
    clock: Callable[[], float] = time.time
    ledger: Ledger = field(init=False)

    def __post_init__(self) -> None:
        table = DynamoDBLedgerTable(self.table_name, self.dynamodb)
        self.ledger = Ledger(table, cooldown_seconds=0, lease_seconds=0.0, clock=self.clock)

    def stop(self, run_id: str) -> None:
        try:
            self.ledger.stop(halt_key(run_id), Deadline.from_context(None, CALL_SECONDS))
        except LedgerUnavailable as error:
            raise OperatorError(f"the run's stop mark was not written to {self.table_name}: {error}") from error

    def lift_stop(self, run_id: str) -> bool:
        """Whether there was a stop to lift."""
        try:
            return self.ledger.lift_stop(halt_key(run_id), Deadline.from_context(None, CALL_SECONDS))
        except LedgerUnavailable as error:
            raise OperatorError(f"the run's stop mark in {self.table_name} could not be read: {error}") from error
