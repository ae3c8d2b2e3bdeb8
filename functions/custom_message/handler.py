"""Cognito user pool CustomMessage trigger: the Cognito-facing contract of this function, in one file.

Cognito calls this synchronously (5 s per try, 3 tries) before it sends a code. Whatever happens here, the event
goes back: with tailored ``response.emailSubject``/``emailMessage``/``smsMessage``, or with them null so Cognito
sends the pool's defaults. An exception would fail the administrator's AdminResetUserPassword call, so there is
none: any fault is logged (without values), counted as ``TemplateFallback`` and answered with the defaults.

Who asked decides the wording of CustomMessage_ForgotPassword: an administrator's AdminResetUserPassword gets the
reset reasons' messages, a user's own ForgotPassword the self-service one (see ``MessageRequest.from_administrator``).
How the pool sends e-mail decides what may be answered: e-mail subject and body only when EMAIL_SENDING_ACCOUNT is
DEVELOPER; otherwise the SMS alone is tailored and Cognito sends its own e-mail (see ``Settings.tailors_email``).
How the pool confirms a sign-up decides whether its e-mails carry Cognito's link placeholder: only when
EMAIL_VERIFICATION_OPTION is CONFIRM_WITH_LINK (see ``Settings.confirms_with_link``).

Environment (all optional): EMAIL_SENDING_ACCOUNT, EMAIL_VERIFICATION_OPTION, ALLOWED_LINK_HOSTS, DEFAULT_LOCALE,
DEFAULT_BRAND, POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE, POWERTOOLS_LOG_LEVEL. See docs/custom-message.md.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from typing import NamedTuple

from contracts.telemetry import MESSAGE_RENDERED, TEMPLATE_FALLBACK
from custom_message.brands import BrandBook, load_brand_book
from custom_message.event import MessageRequest, read_message_request, write_response
from custom_message.messages import MessageSet, compose_messages
from custom_message.settings import Settings
from custom_message.telemetry import Telemetry
from custom_message.templates import TemplateLibrary


class Dependencies(NamedTuple):
    """What one invocation needs; built once per container, or handed in by a test."""

    settings: Settings
    library: TemplateLibrary
    brands: BrandBook
    telemetry: Telemetry


class Container:
    """One Lambda container: its settings, templates and brands, read on the first invocation (never at import) and
    kept, and whether the next invocation is its first (a cold start)."""

    def __init__(
        self,
        environ: Mapping[str, str] = os.environ,
        *,
        load_brands: Callable[[], BrandBook] = load_brand_book,
        load_templates: Callable[[], TemplateLibrary] = TemplateLibrary,
    ) -> None:
        self._environ = environ
        self._load_brands = load_brands
        self._load_templates = load_templates
        self._settings: Settings | None = None
        self._telemetry: Telemetry | None = None
        self._dependencies: Dependencies | None = None
        self._cold = True

    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = Settings.from_environment(self._environ)
        return self._settings

    def telemetry(self) -> Telemetry:
        """Stdout, built apart from the rest so that a fault in the templates or brands can still be reported."""
        if self._telemetry is None:
            settings = self.settings()
            self._telemetry = Telemetry(
                service=settings.service_name, namespace=settings.metrics_namespace, level=settings.log_level
            )
        return self._telemetry

    def dependencies(self) -> Dependencies:
        if self._dependencies is None:
            brands = self._load_brands()
            telemetry, settings = self.telemetry(), self.settings()
            if brands.problems:
                telemetry.log("WARNING", "brands.json has entries that were left out", problems=list(brands.problems))
            report_email_mode(settings, telemetry)
            self._dependencies = Dependencies(
                settings=settings, library=self._load_templates(), brands=brands, telemetry=telemetry
            )
        return self._dependencies

    def handle(self, event: object, context: object) -> object:
        """One invocation. Returns the event, always."""
        cold_start, self._cold = self._cold, False
        try:
            dependencies = self.dependencies()
        except Exception as error:  # noqa: BLE001 - contract: any fault means log, count, return Cognito's defaults
            return answer_with_defaults(event, error, self.telemetry(), context=context, cold_start=cold_start)
        return handle_custom_message(event, context, dependencies, cold_start=cold_start)


def report_email_mode(settings: Settings, telemetry: Telemetry) -> None:
    """Once per container: what this container tailors, so a reader of the logs knows why e-mails look as they do."""
    if settings.tailors_email:
        return
    telemetry.log(
        "INFO" if settings.email_sending_account is not None else "WARNING",
        "e-mail subject and body are left to Cognito (the pool does not send through its own SES identity, or "
        "EMAIL_SENDING_ACCOUNT is unset); only the SMS is tailored",
        emailSendingAccount=settings.email_sending_account,
    )


_THIS_CONTAINER = Container()


def lambda_handler(event: object, context: object) -> object:
    """Entry point Cognito invokes. Returns the event, always."""
    return _THIS_CONTAINER.handle(event, context)


def handle_custom_message(
    event: object, context: object, dependencies: Dependencies, *, cold_start: bool = False
) -> object:
    """Tailor the messages of one event in place and return it; never raises."""
    started = time.perf_counter()
    telemetry = dependencies.telemetry
    try:
        request = read_message_request(event)
        if request is None:
            telemetry.log("INFO", "event passed through: not a CustomMessage event with a code placeholder")
            return event
        result = compose_messages(
            request, library=dependencies.library, brands=dependencies.brands, settings=dependencies.settings
        )
        # A CustomMessage event with a code is answered in full, tailored or not: whatever its response held before
        # (Cognito sends nulls; anything else would be refused) becomes the three fields Cognito accepts.
        write_response(
            event,
            email_subject=result.email_subject,
            email_message=result.email_message,
            sms_message=result.sms_message,
        )
        _report(telemetry, request, result, context=context, cold_start=cold_start, started=started)
    except Exception as error:  # noqa: BLE001 - contract: any fault means log, count, return Cognito's defaults
        return answer_with_defaults(event, error, telemetry, context=context, cold_start=cold_start)
    return event


def answer_with_defaults(
    event: object, error: Exception, telemetry: Telemetry, *, context: object, cold_start: bool
) -> object:
    """Null the response fields (Cognito's defaults), log the fault by type only, count it. Never raises."""
    try:
        write_response(event, email_subject=None, email_message=None, sms_message=None)
        trigger_source = event.get("triggerSource") if isinstance(event, dict) else None
        telemetry.log(
            "ERROR",
            "message tailoring failed; Cognito's default messages will be sent",
            metrics={TEMPLATE_FALLBACK: 1, MESSAGE_RENDERED: 0},
            # The type only: an exception's text can quote the values it choked on.
            errorType=type(error).__name__,
            triggerSource=trigger_source if isinstance(trigger_source, str) else None,
            fallbackCauses=["exception"],
            requestId=_request_id(context),
            coldStart=cold_start,
        )
    except Exception:  # noqa: BLE001, S110 - even reporting may fail (a closed stdout); the event must still go back
        pass
    return event


def _report(
    telemetry: Telemetry,
    request: MessageRequest,
    result: MessageSet,
    *,
    context: object,
    cold_start: bool,
    started: float,
) -> None:
    fallbacks = [{"part": f.part, "template": f.template, "cause": f.cause} for f in result.fallbacks]
    if not result.tailored and not fallbacks and result.locale is None:
        telemetry.log(
            "INFO",
            "event passed through: no templates for this trigger source",
            triggerSource=request.trigger_source,
            requestId=_request_id(context),
            coldStart=cold_start,
        )
        return
    telemetry.log(
        "WARNING" if fallbacks else "INFO",
        "messages tailored" if result.tailored else "Cognito's default messages will be sent",
        metrics={TEMPLATE_FALLBACK: len(fallbacks), MESSAGE_RENDERED: 1 if result.tailored else 0},
        triggerSource=request.trigger_source,
        locale=result.locale,
        variant=result.variant,
        brand=result.brand,
        emailVariant=result.email_variant,
        sms=result.sms_message is not None,
        fallbacks=fallbacks,
        fallbackCauses=sorted({f.cause for f in result.fallbacks}),
        durationMs=round((time.perf_counter() - started) * 1000, 3),
        requestId=_request_id(context),
        coldStart=cold_start,
    )


def _request_id(context: object) -> str | None:
    value = getattr(context, "aws_request_id", None)
    return value if isinstance(value, str) else None
