"""Service names, the metrics namespace, metric names and dimensions: what the functions emit and the stack's alarms
and dashboard read."""

from __future__ import annotations

from typing import Final

NAMESPACE: Final = "CognitoPasswordReset"
RESET_SERVICE: Final = "reset-password"
CUSTOM_MESSAGE_SERVICE: Final = "custom-message"
RUN_SUMMARY_SERVICE: Final = "run-summary"
DELIVERY_EVENTS_SERVICE: Final = "delivery-events"

# Dimensions. Powertools Metrics adds `service` (POWERTOOLS_SERVICE_NAME) to every metric it emits; the custom
# message trigger's own EMF writer does the same.
SERVICE_DIMENSION: Final = "service"
REASON_DIMENSION: Final = "Reason"  # a FailureReason value, on RESET_FAILED only

# The reset function: one metric per outcome; RESET_FAILED carries the Reason dimension.
RESET_SUCCEEDED: Final = "ResetSucceeded"
RESET_SKIPPED: Final = "ResetSkipped"
RESET_DRY_RUN: Final = "ResetDryRun"
# A fault hid whether Cognito acted and the pool could not tell: the user is listed for the operator.
RESET_UNCONFIRMED: Final = "ResetUnconfirmed"
RESET_FORCED: Final = "ResetForced"  # an operator's explicit second reset inside the cooldown window
RESET_FAILED: Final = "ResetFailed"
# ...and one per invocation that raised instead of returning results.
RESET_TRANSIENT_ERROR: Final = "ResetTransientError"
RESET_UNCLASSIFIED_ERROR: Final = "ResetUnclassifiedError"
# The pool's delivery limit met: a single request failed with DELIVERY_LIMIT_REACHED, or a bulk batch stopped there and
# halted its run (DeliveryLimitReached). An alarm: nobody is sent a code until the limit rolls over.
DELIVERY_LIMIT_REACHED: Final = "DeliveryLimitReached"
AUDIT_EVENT_FAILED: Final = "AuditEventFailed"
# A reset that happened but that the dedupe table failed to record (it stands, and is reported as `reset`).
DEDUPE_RECORD_FAILED: Final = "DedupeRecordFailed"

# The custom message trigger: a message answered with a simpler template (or Cognito's default) after a fault, and
# a message answered with the trigger's own wording.
TEMPLATE_FALLBACK: Final = "TemplateFallback"
MESSAGE_RENDERED: Final = "MessageRendered"
