"""Step Functions → Lambda: moto's state machine interpreter calls Lambda's Invoke API; this answers those calls by
running the real handler in-process. Retry waits can be scaled down (tests) without touching the global clock."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

from moto.awslambda.models import LambdaBackend

from local_aws import moto_patches
from local_aws.wiring.functions import LocalFunctions


@dataclass
class RetryClock:
    """Stands in for the `time` module of moto's Retry implementation only: records each wait, sleeps a fraction."""

    scale: float = 1.0
    waits: list[float] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        time.sleep(seconds * self.scale)


@contextmanager
def lambda_tasks_in_process(functions: LocalFunctions, retry_clock: RetryClock) -> Iterator[None]:
    original_invoke: Callable[..., str | bytes | None] = moto_patches.LAMBDA_INVOKE.original()

    def invoke(  # noqa: PLR0917 - moto's signature
        backend: LambdaBackend,
        function_name: str,
        qualifier: str | None,
        body: Any,
        headers: Any,
        response_headers: Any,
    ) -> str | bytes | None:
        function = functions.find(function_name)
        if function is None:
            return original_invoke(backend, function_name, qualifier, body, headers, response_headers)
        invocation = functions.invoke(function, json.loads(body or b"{}"))
        if invocation.function_error:
            response_headers["x-amz-function-error"] = invocation.function_error
        return json.dumps(invocation.payload).encode()

    with ExitStack() as stack:
        stack.enter_context(moto_patches.LAMBDA_INVOKE.applied(invoke))
        stack.enter_context(moto_patches.RETRY_CLOCK.applied(retry_clock))
        yield
