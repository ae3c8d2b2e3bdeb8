"""Decides what the user receives: locale, brand, variant, and the fallback chain that keeps every message valid.

This is the trigger's logic layer. It never touches the event or the environment: ``compose_messages`` takes a
parsed request plus its dependencies and returns a ``MessageSet`` (the three response fields and what happened
on the way), which the handler writes back into the event.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable
from typing import Final, NamedTuple

from jinja2 import TemplateError, TemplateNotFound
from markupsafe import escape

from contracts import cognito
from contracts.client_metadata import KNOWN_REASONS, is_locale_tag, strip_control_characters
from contracts.cognito import EMAIL_MESSAGE_LIMIT, EMAIL_SUBJECT_LIMIT, FORGOT_PASSWORD, SMS_MESSAGE_LIMIT
from contracts.stack import SHIPPED_LOCALE
from custom_message.brands import Brand, BrandBook
from custom_message.event import MessageRequest
from custom_message.links import build_reset_link
from custom_message.settings import Settings
from custom_message.templates import AbsentValueError, Part, TemplateKey, TemplateLibrary

# How much of an untrusted value a message shows: enough to recognise it, never enough to break a layout.
REFERENCE_DISPLAY_LENGTH: Final = 64
NAME_DISPLAY_LENGTH: Final = 64


class MessageKind(NamedTuple):
    """One message the pool sends: the trigger source it answers, who asks for it, its templates' directory and its
    generic variant."""

    trigger_source: str
    directory: str
    generic_variant: str
    # Who Cognito says asked (callerContext.clientId, see event.py): an administrator's API call, or a user's own.
    from_administrator: bool = False
    # clientMetadata's link (the deployer's own page) is rendered only in the password messages and the welcome; every
    # other message links only where Cognito provides the link (takes_link_parameter).
    takes_link: bool = False
    # Reset links carry the code; a welcome link must not carry a temporary password.
    link_carries_code: bool = True
    # Cognito's request.linkParameter goes into the e-mail, which must then contain it: sign-up confirmation
    # (SignUp, ResendCode), and only in a pool that confirms with a link (Settings.confirms_with_link).
    takes_link_parameter: bool = False
    needs_username: bool = False
    # clientMetadata's reason picks the variant: only for an administrator's reset, whose reasons every locale ships.
    takes_reasons: bool = False


ADMINISTRATOR_RESET: Final = MessageKind(
    FORGOT_PASSWORD, "forgot_password", "admin_request", from_administrator=True, takes_link=True, takes_reasons=True
)
# A user's own ForgotPassword arrives under the same trigger source as an administrator's reset, but is a different
# message: the user asked for the code, and their password still works until they choose a new one.
SELF_SERVICE_RESET: Final = MessageKind(FORGOT_PASSWORD, "forgot_password_self_service", "default", takes_link=True)
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
            takes_link=True,
            link_carries_code=False,
            needs_username=True,
        ),
        MessageKind(cognito.SIGN_UP, "sign_up", "default", takes_link_parameter=True),
        MessageKind(cognito.RESEND_CODE, "resend_code", "default", takes_link_parameter=True),
        MessageKind(cognito.UPDATE_USER_ATTRIBUTE, "update_user_attribute", "default"),
        MessageKind(cognito.VERIFY_USER_ATTRIBUTE, "verify_user_attribute", "default"),
        MessageKind(cognito.AUTHENTICATION, "authentication", "default"),
    )
}
# The other trigger sources have one message each, whoever asks.
_ONLY_KIND_OF: Final = {
    kind.trigger_source: kind for kind in MESSAGE_KINDS.values() if kind.trigger_source != FORGOT_PASSWORD
}

_WHITESPACE: Final = re.compile(r"\s+")
# What folds a subject onto one line: spaces and every kind of line break. No-break spaces stay (French puts one
# before ":" and "?").
_SUBJECT_FOLD: Final = re.compile(r"[ \t\r\n\f\v\x85\u2028\u2029]+")


class Fallback(NamedTuple):
    """One step down the chain: which part gave up on which template, and why (a stable cause code)."""

    part: str
    template: str
    cause: str


class MessageSet(NamedTuple):
    """The three response fields (None = Cognito's default) and the choices made, for logs and metrics."""

    email_subject: str | None = None
    email_message: str | None = None
    sms_message: str | None = None
    tailored: bool = False
    locale: str | None = None
    variant: str | None = None
    brand: str | None = None
    email_variant: str | None = None
    fallbacks: tuple[Fallback, ...] = ()


def compose_messages(
    request: MessageRequest, *, library: TemplateLibrary, brands: BrandBook, settings: Settings
) -> MessageSet:
    """Everything the user receives for this request, each part valid for Cognito (and for the pool's e-mail mode)
    or None."""
    kind = message_kind(request)
    if kind is None:
        return MessageSet()

    def has_messages(candidate: str) -> bool:
        return library.has(TemplateKey(candidate, kind.directory, kind.generic_variant))

    def regional(language: str) -> list[str]:
        return regional_locales(library, language)

    locale = choose_locale(
        (request.metadata.locale, request.user_attributes.get("locale")),
        has_messages=has_messages,
        default=settings.default_locale,
        regional_locales=regional,
    )
    if locale is None:
        # No templates for this trigger source: pass the event through untouched, as the contract asks.
        return MessageSet()
    locale = library.locale_directory(locale)  # as spelt on disk, for the layout's name and the HTML's lang
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
    # Cognito replaces its link placeholder in the e-mail only; the SMS keeps the code alone.
    link_parameter = message_link_parameter(request, kind, settings)
    email_required = [*required, link_parameter] if link_parameter is not None else required

    context = message_context(request, kind=kind, key=chosen, brand=brand, settings=settings)
    keys = [chosen] if chosen == generic else [chosen, generic]
    # A part this locale lacks or cannot render goes out in the default language rather than as Cognito's default.
    default_locale = choose_locale(
        (), has_messages=has_messages, default=settings.default_locale, regional_locales=regional
    )
    if default_locale is not None and library.locale_directory(default_locale) != locale:
        keys.append(TemplateKey(library.locale_directory(default_locale), kind.directory, kind.generic_variant))
    renderer = _PartRenderer(library, context, fallbacks)

    # Under any mode but DEVELOPER, Cognito refuses a trigger answer that sets the e-mail (see settings.py): nothing
    # of the e-mail is rendered, and Cognito sends its own.
    email = renderer.email(keys, email_required) if settings.tailors_email else _Email()
    sms_message = renderer.first_of(keys, "sms", required, SMS_MESSAGE_LIMIT)
    return MessageSet(
        locale=locale,
        variant=chosen.variant,
        brand=brand.id,
        email_subject=email.subject,
        email_message=email.message,
        sms_message=sms_message,
        tailored=email.message is not None or sms_message is not None,
        email_variant=email.variant or "default",
        fallbacks=tuple(fallbacks),
    )


def message_kind(request: MessageRequest) -> MessageKind | None:
    """How this request's messages are tailored; None for a trigger source the trigger does not know."""
    if request.trigger_source == FORGOT_PASSWORD:
        return ADMINISTRATOR_RESET if request.from_administrator else SELF_SERVICE_RESET
    return _ONLY_KIND_OF.get(request.trigger_source)


def message_link_parameter(request: MessageRequest, kind: MessageKind, settings: Settings) -> str | None:
    """Cognito's link placeholder, where this message's e-mail must carry it; None elsewhere.

    ``request.linkParameter`` (``{##Click Here##}`` in real events and in the example events of the Developer Guide,
    "Custom message Lambda trigger") has the form a pool's link-type verification message must contain, and Cognito
    replaces it with the confirmation link (API Reference, VerificationMessageTemplateType: with DefaultEmailOption
    CONFIRM_WITH_LINK the message "must contain link text in the format {##Click here##}"). That link confirms a
    sign-up, so only SignUp and ResendCode e-mails carry it, and only in a pool that confirms with a link: real events
    carry the placeholder whatever the pool's option, and in a pool that confirms with a code nothing replaces it.
    The event does not say the option; the stack does (EMAIL_VERIFICATION_OPTION, read into ``settings``).
    """
    if not (kind.takes_link_parameter and settings.confirms_with_link):
        return None
    return request.link_parameter


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
        )
        if kind.takes_link
        else None,
        "link_parameter": message_link_parameter(request, kind, settings),
        "brand": brand,
        "reason": key.variant,
        **_locale_context(key.locale),
    }


def _locale_context(locale: str) -> dict[str, object]:
    return {"locale": locale, "layout": f"{locale}/layout.html"}


class _Email(NamedTuple):
    subject: str | None = None
    message: str | None = None
    variant: str | None = None  # "html", or "text" (the plain-text body as HTML)


class _PartRenderer:
    """Renders parts against one context (in each template's own locale), recording every rejected template as a
    Fallback."""

    def __init__(self, library: TemplateLibrary, context: dict[str, object], fallbacks: list[Fallback]) -> None:
        self._library = library
        self._context = context
        self._fallbacks = fallbacks

    def email(self, keys: list[TemplateKey], required: list[str]) -> _Email:
        """The first body that holds up (HTML, then its plain-text variant, key by key) and a subject to go with it;
        neither when either is missing."""
        for key in keys:
            message, variant = self.first_valid(key, "body.html", required, EMAIL_MESSAGE_LIMIT), "html"
            if message is None:
                message, variant = (
                    self.first_valid(key, "body.txt", required, EMAIL_MESSAGE_LIMIT, to_html=True),
                    "text",
                )
            if message is None:
                continue
            # Subject and body travel as a pair: with Cognito's default body, Cognito's default subject fits best.
            # The subject in the body's language first: a German subject over an English body reads as a mistake.
            same_language = [other for other in keys if other.locale == key.locale]
            subject_keys = same_language + [other for other in keys if other.locale != key.locale]
            subject = self.first_of(subject_keys, "subject", [], EMAIL_SUBJECT_LIMIT)
            return _Email(subject, message, variant) if subject is not None else _Email()
        return _Email()

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
            text = self._library.render(key, part, self._context_for(key))
        except TemplateError as error:
            self._fallbacks.append(Fallback(part, name, _cause(error)))
            return None
        text = _normalise(part, text)
        if to_html:
            text = plain_text_as_html(text)
        rejection = _rejection(text, required, limit)
        if rejection is not None:
            self._fallbacks.append(Fallback(part, name, rejection))
            return None
        return text

    def _context_for(self, key: TemplateKey) -> dict[str, object]:
        # A part borrowed from the default language is worded in it from greeting to footer (its own layout).
        if key.locale == self._context["locale"]:
            return self._context
        return {**self._context, **_locale_context(key.locale)}


def _cause(error: TemplateError) -> str:
    if isinstance(error, TemplateNotFound):
        return "template_missing"
    if isinstance(error, AbsentValueError):  # only where the library refuses absent values: the message pack check
        return "absent_value"
    return "template_error"


def _normalise(part: Part, text: str) -> str:
    if part == "subject":
        # A subject is one header line: newlines from a template (or a value) must not reach the mail headers.
        return strip_control_characters(_SUBJECT_FOLD.sub(" ", text)).strip(" ")
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


def choose_locale(
    requested: Iterable[str | None],
    *,
    has_messages: Callable[[str], bool],
    default: str,
    regional_locales: Callable[[str], Collection[str]] = lambda _language: (),
) -> str | None:
    """The first requested tag with templates, else the default, else en.

    Each tag is tried as given, then ever shorter (de-AT, then de). A bare language with no templates of its own takes
    its regional locale when exactly one exists (pt, then pt-br); with several (pt-br and pt-pt) none is guessed.
    """
    for tag in [*requested, default]:
        candidates = locale_candidates(tag)
        for candidate in candidates:
            if has_messages(candidate):
                return candidate
        if len(candidates) == 1:
            regions = regional_locales(candidates[0])
            if len(regions) == 1:
                (region,) = regions
                if has_messages(region):
                    return region
    return SHIPPED_LOCALE if has_messages(SHIPPED_LOCALE) else None


def regional_locales(library: TemplateLibrary, language: str) -> list[str]:
    """The library's locale directories of one language with a region or script (``pt`` -> ``["pt-br"]``)."""
    prefix = language.lower() + "-"
    return sorted({key.locale for key in library.variants() if key.locale.lower().startswith(prefix)})


def locale_candidates(tag: str | None) -> list[str]:
    """``de-AT`` -> ``["de-at", "de"]``: the tag, then ever shorter prefixes, lower-case; junk gives nothing."""
    if not tag or not is_locale_tag(tag):
        return []
    subtags = tag.replace("_", "-").lower().split("-")
    return ["-".join(subtags[:end]) for end in range(len(subtags), 0, -1)]


def _directory(key: TemplateKey) -> str:
    return f"{key.locale}/{key.message}/{key.variant}/"
