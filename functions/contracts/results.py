"""What a reset result says (contract 2): its status and, for a failure, the reason. The reasons are also a metric
dimension, so the stack's alarms name them from here."""

from __future__ import annotations

from enum import StrEnum


class ResetStatus(StrEnum):
    RESET = "reset"  # Cognito accepted: the user is RESET_REQUIRED and a code is on its way
    FAILED = "failed"  # permanent: retrying the same request cannot help
    SKIPPED = "skipped"  # a duplicate within the cooldown window: nothing was sent again
    # A fault hid whether Cognito acted on an earlier attempt and the pool cannot tell: nothing is sent again (the
    # user may hold a code), and the user is listed for the operator. Never `reset`, never a second code.
    UNCONFIRMED = "unconfirmed"
    DRY_RUN = "dry_run"  # dryRun was asked for: validated and resolved, nothing sent


class FailureReason(StrEnum):
    USER_NOT_FOUND = "USER_NOT_FOUND"
    AMBIGUOUS_USER = "AMBIGUOUS_USER"  # an email or sub that matches more than one user
    USER_DISABLED = "USER_DISABLED"
    INVALID_USER_STATE = "INVALID_USER_STATE"
    NO_VERIFIED_CONTACT = "NO_VERIFIED_CONTACT"
    POOL_NOT_ALLOWED = "POOL_NOT_ALLOWED"
    POOL_NOT_FOUND = "POOL_NOT_FOUND"
    TRIGGER_REJECTED = "TRIGGER_REJECTED"
    DELIVERY_MISCONFIGURED = "DELIVERY_MISCONFIGURED"
    ATTEMPT_LIMIT = "ATTEMPT_LIMIT"  # the user's own: Cognito's per-user attempt limit
    # The pool's: the channel that carries the code has reached its limit (Cognito's own sender's daily e-mails, the
    # SES account's daily quota). Nobody else can be reset through it until the limit rolls over; a bulk run halts.
    DELIVERY_LIMIT_REACHED = "DELIVERY_LIMIT_REACHED"
    INVALID_REQUEST = "INVALID_REQUEST"
    # Not reset on purpose: the user's record changed after the request's holdModifiedSince (UserLastModifiedDate), so
    # their e-mail or phone may be an attacker's. For a person to verify, then reset by hand.
    HELD_FOR_REVIEW = "HELD_FOR_REVIEW"
    # Not reset on purpose: the event path's storm cap for the rolling hour is reached (the stack's eventResetsPerHour;
    # reset_password/reset_cap.py). Nothing was sent; the request waits in the failed-request queue for a person.
    RESET_CAP_REACHED = "RESET_CAP_REACHED"


# The exceptions the reset function raises instead of returning a result. Step Functions Retry/Catch match on these
# class names, so they are part of the contract: reset_password/outcomes.py defines the classes with these names.
TRANSIENT_RESET_ERROR = "TransientResetError"
UNCLASSIFIED_RESET_ERROR = "UnclassifiedResetError"
# A bulk batch that met the pool's delivery limit (DELIVERY_LIMIT_REACHED), or found its run halted there: its
# unfinished items wait for the limit to roll over (a redrive, or a new run of them). Never retried by the workflow.
DELIVERY_LIMIT_REACHED_ERROR = "DeliveryLimitReached"
# A bulk batch that found its run stopped by an operator (`cognito-reset stop`): it started nothing more, and its
# unfinished items stay unfinished. Never retried by the workflow.
RUN_STOPPED_ERROR = "RunStopped"
