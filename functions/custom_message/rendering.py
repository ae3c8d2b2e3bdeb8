"""The trigger's one public way to render a message outside Cognito: what the preview gallery (``make preview``), the
CLI's ``preview`` and the message-pack check (synth) call, so each shows exactly what the trigger would answer.

``render`` runs the trigger's own composition (``compose_messages``: locale, brand, variant, Cognito's limits and
placeholders, the fallback chain, escaping) and adds what only a reviewer needs: the plain-text body of the e-mail
chosen, and the answer the trigger would give if no HTML body could be used (its plain-text fallback e-mail). The
handler itself calls ``compose_messages`` alone: Cognito takes one e-mail body, and a cold start pays for nothing more.
"""

from __future__ import annotations

from typing import NamedTuple

from jinja2 import TemplateError

from custom_message.brands import BrandBook
from custom_message.event import MessageRequest
from custom_message.messages import MessageSet, compose_messages, message_context, message_kind
from custom_message.settings import Settings
from custom_message.templates import TemplateKey, TemplateLibrary


class Rendering(NamedTuple):
    """One request rendered: what the trigger answers, and what a reviewer reads beside it. Cognito's placeholders
    (the code, the username, the link) are left in, as the trigger leaves them for Cognito to replace."""

    # The three response fields (None where Cognito sends its own default) and the choices and fallbacks on the way.
    messages: MessageSet
    # The answer when no HTML body can be used, so that the plain-text body carries the e-mail: its fallbacks say
    # what is wrong with the plain-text templates a clean run never reaches.
    plain_text: MessageSet
    # The chosen variant's plain-text body (body.txt) as written; None when no variant was chosen or it fails to render.
    text_body: str | None


def render(request: MessageRequest, *, library: TemplateLibrary, brands: BrandBook, settings: Settings) -> Rendering:
    """Never raises for a template's fault: each one is a Fallback, as in the trigger."""
    messages = compose_messages(request, library=library, brands=brands, settings=settings)
    plain_text = compose_messages(request, library=library.without_html_bodies(), brands=brands, settings=settings)
    return Rendering(messages, plain_text, _text_body(request, messages, library, brands, settings))


def _text_body(
    request: MessageRequest, messages: MessageSet, library: TemplateLibrary, brands: BrandBook, settings: Settings
) -> str | None:
    kind = message_kind(request)
    if kind is None or messages.locale is None or messages.variant is None:
        return None
    key = TemplateKey(messages.locale, kind.directory, messages.variant)
    brand = brands.choose(messages.brand, settings.default_brand)
    context = message_context(request, kind=kind, key=key, brand=brand, settings=settings)
    try:
        return library.render(key, "body.txt", context).strip()
    except TemplateError:
        return None
