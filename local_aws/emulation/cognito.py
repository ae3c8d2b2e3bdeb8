"""Cognito → CustomMessage trigger: moto resets the user but ignores ClientMetadata and never calls triggers; this
calls the pool's CustomMessage function the way Cognito does after AdminResetUserPassword (an administrator's call)
and after ForgotPassword (a user's own request through an app client), checks its answer the way Cognito does, and
hands the message Cognito would send (the code in place of its placeholder, Cognito's own text where the trigger left
a field empty) to whoever receives it: the local system's outbox (local_aws/harness/outbox.py).

Like Cognito, a trigger that fails or answers with something unusable fails the caller's request
(UserLambdaValidationException / InvalidLambdaResponseException), and the user keeps the status they had. "Unusable"
includes an e-mail subject or body from the trigger of a pool that does not send e-mail through its own SES identity
(EmailSendingAccount other than DEVELOPER): Amazon Cognito Developer Guide, "Custom message Lambda trigger", response
parameters.

The code goes to one destination only, chosen as Cognito chooses it (Developer Guide, "Recovering user accounts"), on
a channel whose limits delivery.py plays; the code in the message is the one ConfirmForgotPassword accepts, once,
within the hour (`codes_checked_as_cognito_does`), and a user whose password was reset cannot sign in with any
password until they have chosen a new one (`sign_in_refused_while_reset_required`).
"""

from __future__ import annotations

import html
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from moto.cognitoidp.models import UserStatus, cognitoidp_backends, find_account_region_by_value
from moto.cognitoidp.responses import CognitoIdpResponse
from moto.core.exceptions import JsonRESTError
from moto.core.utils import utcnow

from contracts.cognito import (
    ADMIN_ONLY,
    CODE_PLACEHOLDER,
    COGNITO_DEFAULT,
    DEVELOPER,
    EMAIL_FIELDS,
    EMAIL_MESSAGE,
    EMAIL_SUBJECT,
    RECOVERY_CODE_VALID_SECONDS,
    RESPONSE_FIELDS,
    RESPONSE_LIMITS,
    SMS_MESSAGE,
    TRIGGER_ANSWER_INVALID,
    TRIGGER_FAILED,
    VERIFIED_EMAIL,
    VERIFIED_PHONE_NUMBER,
    forgot_password_event,
)
from local_aws.emulation import moto_patches
from local_aws.emulation.delivery import EMAIL, SMS, Channels
from local_aws.emulation.lambda_runtime import LocalFunctions

# What Cognito sends for a password reset code when the trigger leaves a field empty.
COGNITO_DEFAULT_SUBJECT = "Your password reset code"
COGNITO_DEFAULT_MESSAGE = f"Your password reset code is {CODE_PLACEHOLDER}."


class UserLambdaValidationError(JsonRESTError):
    def __init__(self, message: str) -> None:
        super().__init__(TRIGGER_FAILED, message)


class InvalidLambdaResponseError(JsonRESTError):
    def __init__(self, message: str) -> None:
        super().__init__(TRIGGER_ANSWER_INVALID, message)


class CodeMismatchError(JsonRESTError):
    def __init__(self) -> None:
        super().__init__("CodeMismatchException", "Invalid verification code provided, please try again.")


class ExpiredCodeError(JsonRESTError):
    def __init__(self) -> None:
        super().__init__("ExpiredCodeException", "Invalid code provided, please request a code again.")


class PasswordResetRequiredError(JsonRESTError):
    def __init__(self) -> None:
        super().__init__("PasswordResetRequiredException", "Password reset required for the user")


class NoRecoveryDestinationError(JsonRESTError):
    def __init__(self) -> None:
        # moto's own wording for AdminResetUserPassword of a user with nothing verified, which AWS answers alike.
        super().__init__(
            "InvalidParameterException",
            "Cannot reset password for the user as there is no registered/verified email or phone_number",
        )


class AdminOnlyRecoveryError(JsonRESTError):
    def __init__(self) -> None:
        # API Reference, AdminResetUserPassword: "your user pool must have self-service account recovery configured".
        # The exception's name and wording are not documented; moto's ForgotPassword answers this.
        super().__init__("NotAuthorizedException", "Contact administrator to reset password.")


@dataclass(frozen=True, slots=True)
class Destination:
    medium: str  # EMAIL or SMS (CodeDeliveryDetailsType.DeliveryMedium)
    address: str


# Developer Guide, "Recovering user accounts": without an AccountRecoverySetting, a verified phone number first.
_LEGACY_RECOVERY: Final = (VERIFIED_PHONE_NUMBER, VERIFIED_EMAIL)
_RECOVERY_ATTRIBUTES: Final = {VERIFIED_EMAIL: ("email", EMAIL), VERIFIED_PHONE_NUMBER: ("phone_number", SMS)}


def recovery_destination(pool: Any, attributes: dict[str, str]) -> Destination:
    """Where Cognito sends a user's password reset code: the first of the pool's recovery mechanisms, in priority
    order, that the user has verified; only that one (Developer Guide, "Recovering user accounts": "Cognito sends
    verification to only one of the specified methods"). Raises what Cognito answers when there is none."""
    setting = (pool.extended_config.get("AccountRecoverySetting") or {}).get("RecoveryMechanisms") or []
    mechanisms = [m["Name"] for m in sorted(setting, key=lambda m: int(m["Priority"]))] or list(_LEGACY_RECOVERY)
    if mechanisms == [ADMIN_ONLY]:
        raise AdminOnlyRecoveryError
    for mechanism in mechanisms:
        attribute, medium = _RECOVERY_ATTRIBUTES[mechanism]
        if attributes.get(attribute) and attributes.get(f"{attribute}_verified") == "true":
            return Destination(medium, attributes[attribute])
    raise NoRecoveryDestinationError


@dataclass(frozen=True, slots=True)
class _IssuedCode:
    code: str
    issued_at: float


@dataclass
class Codes:
    """The password reset codes Cognito has issued, by pool and user: a new code replaces the user's earlier one
    (inferred: AWS does not say whether an earlier code stays valid), and each is good once, for
    RECOVERY_CODE_VALID_SECONDS."""

    clock: Callable[[], float] = time.monotonic
    _issued: dict[tuple[str, str], _IssuedCode] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def issue(self, pool_id: str, username: str) -> str:
        code = f"{secrets.randbelow(10**6):06d}"
        with self._lock:
            self._issued[(pool_id, username)] = _IssuedCode(code, self.clock())
        return code

    def take(self, pool_id: str, username: str, given: str) -> None:
        """Accept `given` once, or raise what ConfirmForgotPassword answers: a wrong code CodeMismatchException; an
        expired code, or none outstanding (one used already), ExpiredCodeException (API Reference,
        ConfirmForgotPassword, Errors)."""
        with self._lock:
            issued = self._issued.get((pool_id, username))
            if issued is None or self.clock() - issued.issued_at > RECOVERY_CODE_VALID_SECONDS:
                self._issued.pop((pool_id, username), None)
                raise ExpiredCodeError
            if not secrets.compare_digest(issued.code, given):
                raise CodeMismatchError
            del self._issued[(pool_id, username)]


def email_sending_account(pool: Any) -> str:
    """The pool's EmailConfiguration.EmailSendingAccount; COGNITO_DEFAULT when it has none (API Reference,
    EmailConfigurationType)."""
    configuration = pool.extended_config.get("EmailConfiguration") or {}
    return str(configuration.get("EmailSendingAccount") or COGNITO_DEFAULT)


def accepted_response(answer: Any, *, sending_account: str) -> dict[str, str | None]:
    """The message fields of a trigger's answer, or InvalidLambdaResponseError where Cognito would refuse it."""
    response = answer.get("response") if isinstance(answer, dict) else None
    if not isinstance(response, dict):
        raise InvalidLambdaResponseError("Invalid lambda response: no response object")
    fields: dict[str, str | None] = {}
    for name, limit in RESPONSE_LIMITS.items():
        value = response.get(name)
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            raise InvalidLambdaResponseError(f"Invalid lambda response: {name} is not a string of at most {limit}")
        fields[name] = value
    if sending_account != DEVELOPER and any(fields[name] is not None for name in EMAIL_FIELDS):
        # Developer Guide, "Custom message Lambda trigger": with EmailSendingAccount other than DEVELOPER, an answer
        # that sets emailMessage or emailSubject fails the request.
        raise InvalidLambdaResponseError(
            f"Invalid lambda response: {EMAIL_MESSAGE} and {EMAIL_SUBJECT} need EmailSendingAccount {DEVELOPER}; "
            f"this pool's is {sending_account}"
        )
    for name in (EMAIL_MESSAGE, SMS_MESSAGE):
        text = fields[name]
        if text is not None and CODE_PLACEHOLDER not in text:
            raise InvalidLambdaResponseError(f"Invalid lambda response: {name} lacks the code placeholder")
    return fields


@dataclass(frozen=True, slots=True)
class SentMessage:
    """What Cognito sends for one code: the trigger's subject, HTML e-mail and SMS, each with a code in place of the
    placeholder, or Cognito's own default text where the trigger left it empty."""

    username: str
    trigger_source: str
    email_to: str | None  # the user's e-mail address; None: the user has none, no e-mail goes out
    subject: str
    email_html: str
    sms: str
    tailored: bool  # the e-mail is the trigger's (else Cognito's default e-mail)
    sms_tailored: bool
    phone_to: str | None = None  # the user's phone number; None: the user has none, no SMS goes out
    code: str = ""  # the code the message carries, which ConfirmForgotPassword accepts
    undelivered: str | None = None  # why the message did not reach the user; None: it did

    @classmethod
    def of_answer(
        cls,
        *,
        username: str,
        trigger_source: str,
        destination: Destination,
        fields: dict[str, str | None],
        code: str,
        undelivered: str | None = None,
    ) -> SentMessage:
        def fill(text: str) -> str:
            return text.replace(CODE_PLACEHOLDER, code)

        return cls(
            username=username,
            trigger_source=trigger_source,
            email_to=destination.address if destination.medium == EMAIL else None,
            subject=fill(fields[EMAIL_SUBJECT] or COGNITO_DEFAULT_SUBJECT),
            email_html=fill(fields[EMAIL_MESSAGE] or html.escape(COGNITO_DEFAULT_MESSAGE)),
            sms=fill(fields[SMS_MESSAGE] or COGNITO_DEFAULT_MESSAGE),
            tailored=fields[EMAIL_MESSAGE] is not None,
            sms_tailored=fields[SMS_MESSAGE] is not None,
            phone_to=destination.address if destination.medium == SMS else None,
            code=code,
            undelivered=undelivered,
        )


MessageRecipient = Callable[[SentMessage], object]
# What else hears of a message sent (the pool it was sent for, and the message): SES's event publishing, ses_events.py.
SentMessageListener = Callable[[Any, SentMessage], object]


def _nobody(_pool: Any, _message: SentMessage) -> None:
    return None


@dataclass(frozen=True)
class _Trigger:
    functions: LocalFunctions
    send: MessageRecipient
    channels: Channels
    codes: Codes
    sent: SentMessageListener = _nobody

    def send_code(self, pool: Any, user: Any, event: dict[str, Any]) -> None:
        """Send the user a new code as Cognito does: to the one destination the pool's recovery setting picks, on a
        channel that still takes it, in the words of the pool's CustomMessage trigger (Cognito's own where there is
        none or it left a field empty). Raises what Cognito would raise to the caller."""
        destination = recovery_destination(pool, event["request"]["userAttributes"])
        # Whether Cognito checks the channel before or after calling the trigger is not documented: before, here.
        undelivered = self.channels.admit(pool, destination.medium, destination.address)
        trigger_arn = (pool.extended_config.get("LambdaConfig") or {}).get("CustomMessage")
        function = self.functions.find(trigger_arn) if trigger_arn else None
        fields: dict[str, str | None] = dict.fromkeys(RESPONSE_FIELDS)
        if function is not None:
            invocation = self.functions.invoke(function, event)
            if invocation.function_error:
                raise UserLambdaValidationError(f"CustomMessage failed with error {invocation.error_type}.")
            fields = accepted_response(invocation.payload, sending_account=email_sending_account(pool))
        message = SentMessage.of_answer(
            username=user.username,
            trigger_source=event["triggerSource"],
            destination=destination,
            fields=fields,
            code=self.codes.issue(pool.id, user.username),
            undelivered=undelivered,
        )
        self.send(message)
        self.sent(pool, message)


def _attributes(user: Any, status: object) -> dict[str, str]:
    # Real events carry the user's status among the attributes.
    return {a["Name"]: a["Value"] for a in user.attributes} | {
        "cognito:user_status": getattr(status, "value", str(status))
    }


def _later_than(moment: datetime) -> datetime:
    """Now (moto keeps naive UTC times), and at least a millisecond (the API's precision) after `moment`: a change is
    always seen to move it."""
    return max(utcnow(), moment + timedelta(milliseconds=1))


@contextmanager
def users_changed_as_cognito_does() -> Iterator[None]:
    """AdminResetUserPassword changes the user whatever its resettable status: Cognito resets a user who is
    RESET_REQUIRED already too (a new code goes out), where moto does nothing; either way the user's record changes and
    UserLastModifiedDate moves (API Reference, AdminResetUserPassword; AdminGetUser, UserLastModifiedDate). A caller
    that lost the answer tells by exactly this whether the reset happened. Every local account plays it (server.py)."""
    original = moto_patches.ADMIN_RESET_MOVES_THE_USER.original()

    def admin_reset_user_password(backend: Any, user_pool_id: str, username: str) -> None:
        user = backend.admin_get_user(user_pool_id, username)
        modified_before = user.last_modified_date
        original(backend, user_pool_id, username)  # moto's checks (raises as Cognito would)
        user.last_modified_date = _later_than(modified_before)

    with moto_patches.ADMIN_RESET_MOVES_THE_USER.applied(admin_reset_user_password):
        yield


@contextmanager
def usernames_resolved_as_cognito_does() -> Iterator[None]:
    """A name given to an admin call (AdminGetUser, AdminResetUserPassword, ...) finds the user as sign-in does (API
    Reference, AdminGetUser, Username: "typically your user's username, but it can be any of their alias
    attributes"): by the username, by a value of UsernameAttributes (moto: exact only), or by an alias the pool signs
    in with (AliasAttributes) once that attribute is verified (Developer Guide, "User pool attributes", sign-in
    aliases; moto: none). The case of each is ignored only where the pool's UsernameConfiguration has CaseSensitive
    false (API Reference, UsernameConfigurationType: true "Enables case sensitivity for all username input ... This is
    the default value"; false "also enables both preferred_username and email alias to be case insensitive";
    CloudFormation, AWS::Cognito::UserPool UsernameConfiguration: "for email, email@example.com or
    EMaiL@eXamplE.Com"). How Cognito folds letters beyond ASCII is not documented: casefold() here, as in
    contracts/identifiers.py. Every local account plays it (server.py)."""
    original = moto_patches.USER_LOOKUP.original()

    def get_user(pool: Any, username: str) -> Any:
        found = original(pool, username)  # moto: the exact username, or the exact value of a UsernameAttribute
        if found is not None:
            return found
        ignores_case = (pool.extended_config.get("UsernameConfiguration") or {}).get("CaseSensitive") is False
        username_attributes = pool.extended_config.get("UsernameAttributes") or []
        aliases = pool.extended_config.get("AliasAttributes") or []

        def same(value: str | None) -> bool:
            if not value:
                return False
            return value.casefold() == username.casefold() if ignores_case else value == username

        for user in list(pool.users.values()):  # a snapshot: other threads may be adding users
            attributes = {item["Name"]: item["Value"] for item in user.attributes}
            if same(user.username) or any(same(attributes.get(name)) for name in username_attributes):
                return user
            for alias in aliases:
                if attributes.get(f"{alias}_verified") == "true" and same(attributes.get(alias)):
                    return user
        return None

    with moto_patches.USER_LOOKUP.applied(get_user):
        yield


@contextmanager
def custom_message_trigger_called(
    functions: LocalFunctions,
    send: MessageRecipient,
    channels: Channels,
    codes: Codes,
    sent: SentMessageListener = _nobody,
) -> Iterator[None]:
    trigger = _Trigger(functions, send, channels, codes, sent)
    original_admin_reset = moto_patches.ADMIN_RESET_USER_PASSWORD.original()
    original_forgot_password = moto_patches.FORGOT_PASSWORD.original()

    def admin_reset_user_password(response: CognitoIdpResponse) -> Any:
        pool_id, username = response._get_param("UserPoolId"), response._get_param("Username")
        backend = response.backend
        user = backend.admin_get_user(pool_id, username)
        status_before, modified_before = user.status, user.last_modified_date
        result = original_admin_reset(response)  # moto's checks and the change (raises as Cognito would)
        event = forgot_password_event(
            region=response.region,
            pool_id=pool_id,
            username=user.username,
            attributes=_attributes(user, status_before),
            client_metadata=response._get_param("ClientMetadata") or {},
        )
        try:
            trigger.send_code(backend.describe_user_pool(pool_id), user, event)
        except JsonRESTError:
            user.status, user.last_modified_date = status_before, modified_before  # the reset did not happen
            raise
        return result

    def forgot_password(response: CognitoIdpResponse) -> Any:
        result = original_forgot_password(response)  # moto's checks (raises as Cognito would)
        client_id, username = response._get_param("ClientId"), response._get_param("Username")
        # ForgotPassword is unsigned: like moto itself, find the pool's account and Region by the app client's id.
        account, region = find_account_region_by_value(
            "client_id", client_id, fallback=(response.current_account, response.region)
        )
        pool = next(
            (p for p in cognitoidp_backends[account][region].user_pools.values() if client_id in p.clients), None
        )
        user = pool._get_user(username) if pool is not None else None
        if pool is None or user is None:
            return result
        event = forgot_password_event(
            region=region,
            pool_id=pool.id,
            username=user.username,
            attributes=_attributes(user, user.status),
            client_metadata=response._get_param("ClientMetadata") or {},
            client_id=client_id,
        )
        trigger.send_code(pool, user, event)
        return result

    with (
        moto_patches.ADMIN_RESET_USER_PASSWORD.applied(admin_reset_user_password),
        moto_patches.FORGOT_PASSWORD.applied(forgot_password),
    ):
        yield


_PASSWORD_FLOWS: Final = frozenset(
    {"USER_PASSWORD_AUTH", "ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH", "USER_SRP_AUTH"}
)


def _pool_of_client(backend: Any, client_id: str) -> Any:
    """The pool an app client belongs to, in one account and Region's backend; None for an unknown client."""
    return next((pool for pool in list(backend.user_pools.values()) if client_id in pool.clients), None)


@contextmanager
def codes_checked_as_cognito_does(codes: Codes) -> Iterator[None]:
    """ConfirmForgotPassword takes the code Cognito sent, once, within the hour, and the new password must meet the
    pool's password policy; the user is then CONFIRMED with the new password (API Reference, ConfirmForgotPassword;
    Developer Guide, "Recovering user accounts"). moto accepts any code and leaves a reset user RESET_REQUIRED."""

    def confirm_forgot_password(
        backend: Any, client_id: str, username: str, password: str, confirmation_code: str
    ) -> None:
        pool = _pool_of_client(backend, client_id)
        user = pool._get_user(username) if pool is not None else None
        if pool is None or user is None:
            raise JsonRESTError("UserNotFoundException", "Username/client id combination not found.")
        # A password the policy refuses leaves the code for another try (the order of the checks is not documented).
        backend._validate_password(pool.id, password)  # InvalidPasswordException, as Cognito answers
        codes.take(pool.id, user.username, confirmation_code)
        user.password = password
        user.status = UserStatus.CONFIRMED
        user.last_modified_date = _later_than(user.last_modified_date)

    with moto_patches.CONFIRM_FORGOT_PASSWORD.applied(confirm_forgot_password):
        yield


@contextmanager
def sign_in_refused_while_reset_required() -> Iterator[None]:
    """A user whose password was reset cannot sign in, whatever password they give, until they choose a new one with
    the code: PasswordResetRequiredException (API Reference, AdminResetUserPassword: "If a user tries to sign in
    after the API request, Amazon Cognito responds with a PasswordResetRequiredException error"; InitiateAuth and
    AdminInitiateAuth list it among their errors). moto signs such a user in with the old password."""
    original_initiate = moto_patches.INITIATE_AUTH.original()
    original_admin_initiate = moto_patches.ADMIN_INITIATE_AUTH.original()

    def refuse_reset_user(pool: Any, auth_flow: str, parameters: dict[str, str]) -> None:
        user = pool._get_user(parameters.get("USERNAME", "")) if pool is not None else None
        if str(auth_flow) in _PASSWORD_FLOWS and user is not None and user.status is UserStatus.RESET_REQUIRED:
            raise PasswordResetRequiredError

    def initiate_auth(backend: Any, client_id: str, auth_flow: str, auth_parameters: dict[str, str]) -> Any:
        pool = _pool_of_client(backend, client_id)
        refuse_reset_user(pool, auth_flow, auth_parameters or {})
        return original_initiate(backend, client_id, auth_flow, auth_parameters)

    def admin_initiate_auth(
        backend: Any, user_pool_id: str, client_id: str, auth_flow: str, auth_parameters: dict[str, str]
    ) -> Any:
        refuse_reset_user(backend.user_pools.get(user_pool_id), auth_flow, auth_parameters or {})
        return original_admin_initiate(backend, user_pool_id, client_id, auth_flow, auth_parameters)

    with ExitStack() as stack:
        stack.enter_context(moto_patches.INITIATE_AUTH.applied(initiate_auth))
        stack.enter_context(moto_patches.ADMIN_INITIATE_AUTH.applied(admin_initiate_auth))
        yield
