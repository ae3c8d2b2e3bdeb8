"""A Lambda context for tests that call a handler directly: the attributes the runtime hands a handler, fixed values
(the local system builds its own from each provisioned function: local_aws/wiring/functions.py)."""

from __future__ import annotations

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
