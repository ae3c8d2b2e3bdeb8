"""A Lambda context for tests that call a handler directly: the attributes the runtime hands a handler, fixed values
(the local system builds its own from each provisioned function: local_aws/emulation/lambda_runtime.py)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field


@dataclass(frozen=True)
class LambdaContext:
    function_name: str = "reset-password"
    function_version: str = "$LATEST"
    invoked_function_arn: str = "arn:aws:lambda:eu-west-1:123456789012:function:reset-password"
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/aws/lambda/reset-password"
    log_stream_name: str = "2026/11/23/[$LATEST]0123456789abcdef"
    remaining_time_in_millis: int = 60_000  # what get_remaining_time_in_millis() answers, however long the test takes

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_time_in_millis


@dataclass(frozen=True)
class CountdownLambdaContext(LambdaContext):
    """A context whose get_remaining_time_in_millis() counts down from `remaining_time_in_millis` (the invocation's
    budget) from the moment it is created, as the runtime's does from the start of the invocation."""

    started: float = field(default_factory=time.monotonic)

    @property
    def budget_seconds(self) -> float:
        return self.remaining_time_in_millis / 1000.0

    def elapsed_seconds(self) -> float:
        return time.monotonic() - self.started

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self.remaining_time_in_millis - int(self.elapsed_seconds() * 1000))
