"""The error names Lambda and Step Functions report for what goes wrong around the functions: the workflows retry on
them (infra/workflows.py) and the local emulation reports them (local_aws/emulation/), by these names.

Lambda Developer Guide, "Configure Lambda function timeout" and "Understanding the Lambda execution environment
lifecycle" (a function past its timeout, a runtime process that exited); Step Functions Developer Guide, "Handling
errors in Step Functions workflows" (States.Timeout), "ItemReader (Map)" and "ResultWriter (Map)"; Amazon States
Language, error names (States.ExceedToleratedFailureThreshold).
"""

from __future__ import annotations

from typing import Final

# Lambda: the invocation ran past the function's timeout; the runtime process exited (a crash).
LAMBDA_TIMED_OUT: Final = "Sandbox.Timedout"
RUNTIME_EXITED: Final = "Runtime.ExitError"
# Step Functions: a task ran past its own TimeoutSeconds.
TASK_TIMED_OUT: Final = "States.Timeout"
# A Distributed Map state's own errors: more items failed than tolerated; the items could not be read; the results
# could not be written.
MAP_TOLERANCE_EXCEEDED: Final = "States.ExceedToleratedFailureThreshold"
MAP_ITEMS_UNREADABLE: Final = "States.ItemReaderFailed"
MAP_RESULTS_UNWRITABLE: Final = "States.ResultWriterFailed"
