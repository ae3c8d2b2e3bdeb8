"""Decides what the user receives: locale, brand, variant, and the fallback chain that keeps every message valid.

This is the trigger's logic layer. It never touches the event or the environment: ``compose_messages`` takes a
parsed request plus its dependencies and returns a ``MessageSet`` (the three response fields and what happened
on the way), which the handler writes back into the event.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Final, NamedTuple

from jinja2 import TemplateError, TemplateNotFound
from markupsafe import escape

from contracts import cognito
from contracts.client_metadata import KNOWN_REASONS, is_locale_tag, strip_control_characters
from contracts.cognito import EMAIL_MESSAGE_LIMIT, EMAIL_SUBJECT_LIMIT, FORGOT_PASSWORD, SMS_MESSAGE_LIMIT
from custom_message.brands import Brand, BrandBook
from custom_message.event import MessageRequest
from custom_message.links import build_reset_link
from custom_message.settings import Settings
from custom_message.templates import Part, TemplateKey, TemplateLibrary

# How much of an untrusted value a message shows: enough to recognise it, never enough to break a layout.
REFERENCE_DISPLAY_LENGTH: Final = 64
NAME_DISPLAY_LENGTH: Final = 64
# The locale the project ships complete; used when even the configured default has no templates (a typo in it).
SHIPPED_LOCALE: Final = "en"


class MessageKind(NamedTuple):
    """One message the pool sends: the trigger source it answers, who asks for it, its templates' directory and its
    generic variant."""

    trigger_source: str
    directory: str
    generic_variant: str
    # Who Cognito says asked (callerContext.clientId, see event.py): an administrator's API call, or a user's own.
    from_administrator: bool = False
    # Reset and verification links carry the code; a welcome link must not carry a temporary password, and an MFA
    # code does not belong in a link at all.
    link_carries_code: bool = True
    needs_username: bool = False
    # clientMetadata's reason picks the variant: only for an administrator's reset, whose reasons every locale ships.
    takes_reasons: bool = False


ADMINISTRATOR_RESET: Final = MessageKind(
    FORGOT_PASSWORD, "forgot_password", "admin_request", from_administrator=True, takes_reasons=True
)
# A user's own ForgotPassword arrives under the same trigger source as an administrator's reset, but is a different
# message: the user asked for the code, and their password still works until they choose a new one.
SELF_SERVICE_RESET: Final = MessageKind(FORGOT_PASSWORD, "forgot_password_self_service", "default")
# Every message, by its templates' directory.
MESSAGE_KINDS: Final[dict[str, MessageKind]] = {
    kind.directory: kind
    for kind in (
        ADMINISTRATOR_RESET,
        SELF_SERVICE_RESET,
        MessageKind(
            cognito.ADMIN_CREATE_USER,
            "admin_create_user",
            "welcome",
            from_administrator=True,
            link_carries_code=False,
            needs_username=True,
        ),
        MessageKind(cognito.SIGN_UP, "sign_up", "default"),
        MessageKind(cognito.RESEND_CODE, "resend_code", "default"),
        MessageKind(cognito.UPDATE_USER_ATTRIBUTE, "update_user_attribute", "default"),
        MessageKind(cognito.VERIFY_USER_ATTRIBUTE, "verify_user_attribute", "default"),
        MessageKind(cognito.AUTHENTICATION, "authentication", "default", link_carries_code=False),
    )
}
# The other trigger sources have one message each, whoever asks.
_ONLY_KIND_OF: Final = {
    kind.trigger_source: kind for kind in MESSAGE_KINDS.values() if kind.trigger_source != FORGOT_PASSWORD
}

_WHITESPACE: Final = re.compile(r"\s+")


class Fallback(NamedTuple):
    """One step down the chain: which part gave up on which template, and why (a stable cause code)."""

    part: str
    template: str
    cause: str


@dataclass(frozen=True, slots=True)
class MessageSet:
    """The three response fields (None = Cognito's default) and the choices made, for logs and metrics."""

    email_subject: str | None = None
    email_message: str | None = None
    sms_message: str | None = None
    tailored: bool = False
    locale: str | None = None
    variant: str | None = None
    brand: str | None = None
    email_variant: str | None = None
    fallbacks: tuple[Fallback, ...] = field(default=())


def compose_messages(
    request: MessageRequest, *, library: TemplateLibrary, brands: BrandBook, settings: Settings
) -> MessageSet:
    """Everything the user receives for this request, each part valid for Cognito (and for the pool's e-mail mode)
    or None."""
    kind = message_kind(request)
    if kind is None:
        return MessageSet()
    locale = choose_locale(
        (request.metadata.locale, request.user_attributes.get("locale")),
        has_messages=lambda candidate: library.has(TemplateKey(candidate, kind.directory, kind.generic_variant)),
        default=settings.default_locale,
    )
    if locale is None:
        # No templates for this trigger source: pass the event through untouched, as the contract asks.
        return MessageSet()
    generic = TemplateKey(locale, kind.directory, kind.generic_variant)
    fallbacks: list[Fallback] = []
    chosen = generic
    reason = request.metadata.reason if kind.takes_reasons else None
    if reason is not None and reason != kind.generic_variant:
        candidate = TemplateKey(locale, kind.directory, reason)
        if library.has(candidate):
            chosen = candidate
        elif reason in KNOWN_REASONS:
            # A reason every locale should ship is missing here: an incomplete translation worth an alarm.
            fallbacks.append(Fallback("all", _directory(candidate), "variant_missing"))
    brand = brands.choose(request.metadata.brand, settings.default_brand)

    required = [request.code_parameter]
    if kind.needs_username:
        if request.username_parameter is None:
            fallbacks.append(Fallback("all", _directory(chosen), "missing_placeholder"))
            return MessageSet(locale=locale, variant=chosen.variant, brand=brand.id, fallbacks=tuple(fallbacks))
        required.append(request.username_parameter)

    context = message_context(request, kind=kind, key=chosen, brand=brand, settings=settings)
    keys = [chosen] if chosen == generic else [chosen, generic]
    renderer = _PartRenderer(library, context, fallbacks)

    email_message, email_variant = None, None
    # Under any mode but DEVELOPER, Cognito refuses a trigger answer that sets the e-mail (see settings.py): nothing
    # of the e-mail is rendered, and Cognito sends its own.
    for key in keys if settings.tailors_email else ():
        email_message = renderer.first_valid(key, "body.html", required, EMAIL_MESSAGE_LIMIT)
        if email_message is not None:
            email_variant = "html"
            break
        text = renderer.first_valid(key, "body.txt", required, EMAIL_MESSAGE_LIMIT, to_html=True)
        if text is not None:
            email_message, email_variant = text, "text"
            break
    email_subject = None
    if email_message is not None:
        # Subject and body travel as a pair: with Cognito's default body, Cognito's default subject fits best.
        email_subject = renderer.first_of(keys, "subject", [], EMAIL_SUBJECT_LIMIT)
        if email_subject is None:
            email_message, email_variant = None, None
    sms_message = renderer.first_of(keys, "sms", required, SMS_MESSAGE_LIMIT)
    return MessageSet(
        locale=locale,
        variant=chosen.variant,
        brand=brand.id,
        email_subject=email_subject,
        email_message=email_message,
        sms_message=sms_message,
        tailored=email_message is not None or sms_message is not None,
        email_variant=email_variant or "default",
        fallbacks=tuple(fallbacks),
    )


def message_kind(request: MessageRequest) -> MessageKind | None:
    """How this request's messages are tailored; None for a trigger source the trigger does not know."""
    if request.trigger_source == FORGOT_PASSWORD:
        return ADMINISTRATOR_RESET if request.from_administrator else SELF_SERVICE_RESET
    return _ONLY_KIND_OF.get(request.trigger_source)


def message_context(
    request: MessageRequest, *, kind: MessageKind, key: TemplateKey, brand: Brand, settings: Settings
) -> dict[str, object]:
    """The variables every template sees (docs/custom-message.md lists them). Untrusted values arrive cleaned."""
    return {
        "code": request.code_parameter,
        "username": request.username_parameter,
        "given_name": display_text(request.user_attributes.get("given_name"), NAME_DISPLAY_LENGTH),
        "reference": display_text(request.metadata.reference, REFERENCE_DISPLAY_LENGTH),
        "link": build_reset_link(
            request.metadata.link,
            code=request.code_parameter if kind.link_carries_code else None,
            username=request.user_name or None,
            allowed_hosts=settings.allowed_link_hosts,
        ),
        "brand": brand,
        "reason": key.variant,
        "locale": key.locale,
        "layout": f"{key.locale}/layout.html",
    }


class _PartRenderer:
    """Renders parts against one context, recording every rejected template as a Fallback."""

    def __init__(self, library: TemplateLibrary, context: dict[str, object], fallbacks: list[Fallback]) -> None:
        self._library = library
        self._context = context
        self._fallbacks = fallbacks

    def first_of(self, keys: Iterable[TemplateKey], part: Part, required: list[str], limit: int) -> str | None:
        for key in keys:
            text = self.first_valid(key, part, required, limit)
            if text is not None:
                return text
        return None

    def first_valid(
        self, key: TemplateKey, part: Part, required: list[str], limit: int, *, to_html: bool = False
    ) -> str | None:
        name = key.path(part)
        try:
            text = self._library.render(key, part, self._context)
        except TemplateError as error:
            cause = "template_missing" if isinstance(error, TemplateNotFound) else "template_error"
            self._fallbacks.append(Fallback(part, name, cause))
            return None
        text = _normalise(part, text)
        if to_html:
            text = plain_text_as_html(text)
        rejection = _rejection(text, required, limit)
        if rejection is not None:
            self._fallbacks.append(Fallback(part, name, rejection))
            return None
        return text


def _normalise(part: Part, text: str) -> str:
    if part == "subject":
        # A subject is one header line: newlines from a template (or a value) must not reach the mail headers.
        return strip_control_characters(_WHITESPACE.sub(" ", text)).strip()
    return text.strip()


def _rejection(text: str, required: list[str], limit: int) -> str | None:
    if not text:
        return "empty"
    if any(placeholder not in text for placeholder in required):
        return "missing_placeholder"
    if len(text) > limit:
        return "over_limit"
    return None


def plain_text_as_html(text: str) -> str:
    """The plain-text body as minimal HTML (Cognito sends e-mail as HTML): escaped whole, paragraphs kept."""
    paragraphs = [part.strip() for part in re.split(r"\n\s*\n", text) if part.strip()]
    return "\n".join("<p>" + str(escape(part)).replace("\n", "<br>\n") + "</p>" for part in paragraphs)


def display_text(value: str | None, limit: int) -> str | None:
    """An untrusted value made fit to show: control characters gone, whitespace collapsed, truncated with '…'."""
    if value is None:
        return None
    # Whitespace first, so a line break between two words leaves a space rather than gluing them together.
    text = _WHITESPACE.sub(" ", strip_control_characters(_WHITESPACE.sub(" ", value))).strip()
    if not text:
        return None
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def choose_locale(requested: Iterable[str | None], *, has_messages: Callable[[str], bool], default: str) -> str | None:
    """The first requested tag (or its language alone: de-AT, then de) with templates, else the default, else en."""
    for tag in requested:
        for candidate in locale_candidates(tag):
            if has_messages(candidate):
                return candidate
    for candidate in [*locale_candidates(default), SHIPPED_LOCALE]:
        if has_messages(candidate):
            return candidate
    return None


def locale_candidates(tag: str | None) -> list[str]:
    """``de-AT`` -> ``["de-at", "de"]``: the tag, then ever shorter prefixes, lower-case; junk gives nothing."""
    if not tag or not is_locale_tag(tag):
        return []
    subtags = tag.replace("_", "-").lower().split("-")
    return ["-".join(subtags[:end]) for end in range(len(subtags), 0, -1)]


def _directory(key: TemplateKey) -> str:
    return f"{key.locale}/{key.message}/{key.variant}/"
