"""Every place where the local system changes moto's own code or settings, and what each looked like in the moto version
it was written for.

The local system (emulation/, server.py) patches moto only through `MotoPatch.applied`, so this list is all of it.
tests/unit/local_aws/emulation/test_moto_patches.py fails, naming the target, when the installed moto is another
version or a patched target has another shape (a callable's signature): then read the patch's reason, check moto's new
code, and record it anew.
"""

from __future__ import annotations

import inspect
import os
import re
from collections.abc import MutableMapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Final
from unittest import mock

from moto import settings
from moto.awslambda.models import LambdaBackend
from moto.cognitoidp.models import CognitoIdpBackend, CognitoIdpUserPool
from moto.cognitoidp.responses import CognitoIdpResponse
from moto.core.config import default_user_config
from moto.events.models import Rule
from moto.ses.responses import EmailResponse
from moto.sesv2 import urls as sesv2_urls
from moto.sesv2.responses import SESV2Response
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service_lambda
from moto.stepfunctions.responses import StepFunctionResponse

MOTO_VERSION: Final = "5.2.5"  # requirements-dev.txt pins it
# What each patched target was in moto before the local system first patched it.
_UNPATCHED: dict[str, Any] = {}


@dataclass(frozen=True)
class MotoPatch:
    """One attribute of moto (or one key of a mapping moto reads) that the local system replaces while it runs."""

    owner: Any  # the class or module that holds the attribute, or the mapping that holds the key
    name: str
    recorded: str  # `shape()` under MOTO_VERSION
    reason: str
    owner_name: str = ""  # how to name a mapping owner (classes and modules name themselves)
    read_by: Any = None  # for a setting: the moto callable that reads it, whose signature is the recorded shape

    @property
    def target(self) -> str:
        if isinstance(self.owner, type):
            return f"{self.owner.__module__}.{self.owner.__qualname__}.{self.name}"
        if isinstance(self.owner, ModuleType):
            return f"{self.owner.__name__}.{self.name}"
        return f"{self.owner_name}[{self.name!r}]"

    def original(self) -> Any:
        """What the patch replaces (while it is applied: the replacement); None for a key the mapping lacks or an
        attribute moto lacks (the patch adds it)."""
        if isinstance(self.owner, MutableMapping):
            return self.owner.get(self.name)
        return getattr(self.owner, self.name, None)

    def shape(self) -> str:
        """What the local system relies on: a callable's signature, which attributes of a replaced module the owner
        uses, the type of a setting's value, or, for an environment variable, the signature of what reads it."""
        if self.read_by is not None:
            reads = "read" if self.name in inspect.getsource(self.read_by) else "NOT read"
            where = f"{self.read_by.__module__}.{self.read_by.__qualname__}"
            return f"{reads} by {where}{inspect.signature(self.read_by)}"
        original = _UNPATCHED.get(self.target, self.original())
        if isinstance(original, ModuleType):
            used = sorted(set(re.findall(rf"\b{re.escape(self.name)}\.(\w+)", inspect.getsource(self.owner))))
            return f"module {original.__name__}, using {', '.join(used)}"
        if callable(original):
            return str(inspect.signature(original))
        return type(original).__name__

    def applied(self, replacement: object) -> AbstractContextManager[Any]:
        """The patch in place until the block ends; the original comes back afterwards."""
        # Moto's own, for `shape` while a patch is in place (a whole local account can run under one).
        _UNPATCHED.setdefault(self.target, self.original())
        if isinstance(self.owner, MutableMapping):
            return mock.patch.dict(self.owner, {self.name: replacement})
        return mock.patch.object(self.owner, self.name, replacement, create=True)


LAMBDA_INVOKE: Final = MotoPatch(
    LambdaBackend,
    "invoke",
    "(self, function_name: 'str', qualifier: 'str | None', body: 'Any', headers: 'Any', response_headers: 'Any')"
    " -> 'str | bytes | None'",
    reason="Step Functions' lambda:invoke tasks reach Lambda's Invoke, which moto cannot run without Docker: the real "
    "handler answers in-process (emulation/step_functions.py)",
)
RETRY_CLOCK: Final = MotoPatch(
    retrier_decl,
    "time",
    "module time, using sleep",
    reason="Step Functions' Retry waits go through this module's time.sleep: a RetryClock records each wait and "
    "sleeps a fraction of it, without touching the process's clock (emulation/step_functions.py)",
)
SERVER_PORT: Final = MotoPatch(
    os.environ,
    "MOTO_PORT",
    "read by moto.settings.moto_server_port() -> str",
    reason="the Step Functions interpreter's boto3 clients reach moto at localhost:$MOTO_PORT: the local server's "
    "port (emulation/__init__.py)",
    owner_name="os.environ",
    read_by=settings.moto_server_port,
)
EXECUTE_STATE_MACHINES: Final = MotoPatch(
    default_user_config["stepfunctions"],
    "execute_state_machine",
    "bool",
    reason="moto only stores state machine definitions unless told to run them (server.py)",
    owner_name="moto.core.config.default_user_config['stepfunctions']",
)
RULE_SEND_TO_TARGETS: Final = MotoPatch(
    Rule,
    "send_to_targets",
    "(self, original_event: 'EventMessageType', transform_input: 'bool' = True) -> 'None'",
    reason="moto matches a rule but raises NotImplementedError for a Lambda target: the event goes to the real "
    "handler, asynchronously with Lambda's retries; moto delivers only the other targets (emulation/eventbridge.py)",
)
ADMIN_RESET_USER_PASSWORD: Final = MotoPatch(
    CognitoIdpResponse,
    "admin_reset_user_password",
    "(self) -> moto.core.responses.ActionResult",
    reason="moto resets the user but never calls triggers: after moto's own checks, the pool's CustomMessage trigger "
    "is called as Cognito calls it (emulation/cognito.py)",
)
ADMIN_RESET_MOVES_THE_USER: Final = MotoPatch(
    CognitoIdpBackend,
    "admin_reset_user_password",
    "(self, user_pool_id: 'str', username: 'str') -> 'None'",
    reason="moto leaves a RESET_REQUIRED user untouched and never moves UserLastModifiedDate on a reset; Cognito "
    "resets the user (a new code) and the user's record moves: every local account plays that (emulation/cognito.py)",
)
FORGOT_PASSWORD: Final = MotoPatch(
    CognitoIdpResponse,
    "forgot_password",
    "(self) -> moto.core.responses.ActionResult",
    reason="as for AdminResetUserPassword, for a user's own request through an app client (emulation/cognito.py)",
)
CONFIRM_FORGOT_PASSWORD: Final = MotoPatch(
    CognitoIdpBackend,
    "confirm_forgot_password",
    "(self, client_id: 'str', username: 'str', password: 'str', confirmation_code: 'str') -> 'None'",
    reason="moto accepts any code and leaves a reset user RESET_REQUIRED; Cognito takes only the code it sent, once, "
    "within the hour, and confirms the user (emulation/cognito.py)",
)
INITIATE_AUTH: Final = MotoPatch(
    CognitoIdpBackend,
    "initiate_auth",
    "(self, client_id: 'str', auth_flow: 'str', auth_parameters: 'dict[str, str]') -> 'dict[str, Any]'",
    reason="moto signs a RESET_REQUIRED user in with the old password; Cognito answers PasswordResetRequiredException "
    "(emulation/cognito.py)",
)
ADMIN_INITIATE_AUTH: Final = MotoPatch(
    CognitoIdpBackend,
    "admin_initiate_auth",
    "(self, user_pool_id: 'str', client_id: 'str', auth_flow: 'str', auth_parameters: 'dict[str, str]')"
    " -> 'dict[str, Any]'",
    reason="as for InitiateAuth: moto challenges a RESET_REQUIRED user for a new password where Cognito refuses the "
    "sign-in (emulation/cognito.py)",
)

USER_LOOKUP: Final = MotoPatch(
    CognitoIdpUserPool,
    "_get_user",
    "(self, username: 'str') -> 'CognitoIdpUser'",
    reason="moto finds a user by the exact username (or UsernameAttributes) only: a pool that ignores case or signs "
    "in with an alias finds the user as Cognito does, by any case and by a verified alias; a pool that minds case "
    "finds an alias only in its own case (emulation/cognito.py, applied by server.py)",
)

LIST_MAP_RUNS: Final = MotoPatch(
    StepFunctionResponse,
    "list_map_runs",
    "(self) -> moto.core.responses.ActionResult",
    reason="moto knows only its own interpreter's map runs; a Distributed Map the local system plays itself "
    "(ItemBatcher, ResultWriter) answers ListMapRuns from the player (emulation/distributed_map.py)",
)
DESCRIBE_MAP_RUN: Final = MotoPatch(
    StepFunctionResponse,
    "describe_map_run",
    "(self) -> moto.core.responses.ActionResult",
    reason="as for ListMapRuns: item and execution counts of a played map run, live (emulation/distributed_map.py)",
)

LIST_EXECUTIONS: Final = MotoPatch(
    StepFunctionResponse,
    "list_executions",
    "(self) -> moto.core.responses.ActionResult",
    reason="moto lists a state machine's executions only; ListExecutions with a mapRunArn lists a played map run's "
    "child executions (API Reference, ListExecutions: mapRunArn), so a caller finds which batches failed and why "
    "(emulation/distributed_map.py)",
)
MAP_STATE_ERROR_NAMES: Final = MotoPatch(
    state_task_service_lambda,
    "CustomErrorName",
    "(error_name: str | None)",
    reason="a played Distributed Map is a lambda:invoke task of the local player; moto refuses a Lambda error named "
    "States.*, so the Map state's own errors (States.ExceedToleratedFailureThreshold, States.ItemReaderFailed, "
    "States.ResultWriterFailed) reach Retry, Catch and the execution under their ASL names "
    "(emulation/distributed_map.py)",
)

POOL_SETTINGS_STORED: Final = MotoPatch(
    CognitoIdpUserPool,
    "update_extended_config",
    "(self, extended_config: 'dict[str, Any]') -> 'None'",
    reason="moto stores AdminCreateUserConfig as CreateUserPool or UpdateUserPool gave it, so an update that leaves "
    "out the deprecated UnusedAccountValidityDays drops it; Cognito reports it filled in from the password policy, and "
    "refuses it beside TemporaryPasswordValidityDays (emulation/cognito_pools.py)",
)
LIST_USERS_FILTERED: Final = MotoPatch(
    CognitoIdpBackend,
    "list_users",
    "(self, user_pool_id: 'str', filt: 'str') -> 'list[CognitoIdpUser]'",
    reason="moto matches a ListUsers filter exactly on every attribute and reads a quoted value up to its last "
    "quotation mark; the local Cognito reads and matches it as the API Reference documents it (cognito:user_status "
    "ignores case), with moto's own pagination (emulation/cognito_list_users.py)",
)

STOP_EXECUTION: Final = MotoPatch(
    StepFunctionResponse,
    "stop_execution",
    "(self) -> moto.core.responses.ActionResult",
    reason="moto only asks its interpreter to stop: the execution stays RUNNING until the task in flight returns, and "
    "a played Distributed Map runs every batch. StopExecution makes it ABORTED at once and for good (the interpreter's "
    "ExecutionWorker._execution_communication is wrapped) and stops its map runs (emulation/step_functions.py)",
)
REDRIVE_EXECUTION: Final = MotoPatch(
    StepFunctionResponse,
    "redrive_execution",
    "NoneType",  # moto 5.2.5 has no RedriveExecution: the patch adds it
    reason="moto has no RedriveExecution (its server answers an HTML error page): the local system redrives an "
    "execution as AWS documents it, on a new ExecutionWorker of the same execution record entered at its unfinished "
    "state (emulation/step_functions.py); a moto that has its own must be checked against it",
)
DESCRIBE_EXECUTION: Final = MotoPatch(
    StepFunctionResponse,
    "describe_execution",
    "(self) -> moto.core.responses.ActionResult",
    reason="moto leaves out redriveCount, redriveDate, redriveStatus and a TIMED_OUT execution's stopDate "
    "(emulation/step_functions.py)",
)

# SES's read APIs, answered from the local account's sending channels (emulation/ses.py).
SESV2_DISPATCH: Final = SESV2Response.dispatch  # what moto's own SES v2 routes call
SESV2_ACCOUNT_ROUTE: Final = MotoPatch(
    sesv2_urls.url_paths,
    "{0}/v2/email/account$",
    "NoneType",  # moto 5.2.5 routes no GET /v2/email/account (its catch-all "/v2/.*" is taken as a literal path)
    reason="SES v2 GetAccount is GET /v2/email/account, which moto's server answers with a 404 page: the route to "
    "moto's own SES v2 dispatch, read when the server first serves SES v2 (emulation/ses.py)",
    owner_name="moto.sesv2.urls.url_paths",
)
SESV2_GET_ACCOUNT: Final = MotoPatch(
    SESV2Response,
    "get_account",
    "NoneType",  # moto 5.2.5 has no GetAccount: the patch adds it
    reason="moto has no SES v2 GetAccount: the simulated account's sandbox, quota, send rate and what it sent in the "
    "last 24 hours (emulation/ses.py); a moto that has its own must be checked against it",
)
SESV2_GET_EMAIL_IDENTITY: Final = MotoPatch(
    SESV2Response,
    "get_email_identity",
    "(self) -> str",
    reason="moto knows only identities made with CreateEmailIdentity, each verified at once; the local account's "
    "identities are the pools' own SES identities and the simulated account's verified ones (emulation/ses.py)",
)
SES_GET_SEND_QUOTA: Final = MotoPatch(
    EmailResponse,
    "get_send_quota",
    "(self) -> moto.core.responses.ActionResult",
    reason="moto answers a fixed sandbox quota (200 a day, 1 a second) and counts only what moto's SES sent; the "
    "simulated account's quota and what the pools sent through SES (emulation/ses.py)",
)

PATCHES: Final = (
    LAMBDA_INVOKE,
    RETRY_CLOCK,
    SERVER_PORT,
    EXECUTE_STATE_MACHINES,
    RULE_SEND_TO_TARGETS,
    ADMIN_RESET_USER_PASSWORD,
    ADMIN_RESET_MOVES_THE_USER,
    FORGOT_PASSWORD,
    CONFIRM_FORGOT_PASSWORD,
    INITIATE_AUTH,
    ADMIN_INITIATE_AUTH,
    USER_LOOKUP,
    LIST_MAP_RUNS,
    DESCRIBE_MAP_RUN,
    LIST_EXECUTIONS,
    MAP_STATE_ERROR_NAMES,
    POOL_SETTINGS_STORED,
    LIST_USERS_FILTERED,
    STOP_EXECUTION,
    REDRIVE_EXECUTION,
    DESCRIBE_EXECUTION,
    SESV2_ACCOUNT_ROUTE,
    SESV2_GET_ACCOUNT,
    SESV2_GET_EMAIL_IDENTITY,
    SES_GET_SEND_QUOTA,
)
