"""The trigger's one public render entry point (custom_message.rendering): what the gallery, the CLI's preview and
the message-pack check show must be what the handler answers Cognito."""

from __future__ import annotations

from pathlib import Path

import pytest

from contracts.cognito import CODE_PLACEHOLDER
from custom_message.brands import BrandBook
from custom_message.event import read_message_request
from custom_message.rendering import render
from custom_message.settings import Settings
from custom_message.templates import TemplateLibrary
from tests.unit.custom_message.conftest import EVENT_FILES, Invoke, copy_event, load_event, write_templates

# Every recorded event the trigger renders (the others it passes through untouched: the handler's tests cover them).
RENDERED_EVENTS = [name for name in EVENT_FILES if read_message_request(load_event(name)) is not None]


def test_most_recorded_events_are_rendered() -> None:
    assert len(RENDERED_EVENTS) > len(EVENT_FILES) / 2


@pytest.mark.parametrize("name", RENDERED_EVENTS)
def test_what_render_shows_is_what_the_handler_answers_for_every_recorded_event(
    name: str, invoke: Invoke, library: TemplateLibrary, brands: BrandBook, settings: Settings
) -> None:
    event = load_event(name)
    request = read_message_request(copy_event(event))
    assert request is not None
    answered = invoke(event)["response"]

    shown = render(request, library=library, brands=brands, settings=settings).messages

    assert (shown.email_subject, shown.email_message, shown.sms_message) == (
        answered["emailSubject"],
        answered["emailMessage"],
        answered["smsMessage"],
    )


def test_the_text_body_is_the_chosen_variant_s_plain_text(
    library: TemplateLibrary, brands: BrandBook, settings: Settings
) -> None:
    event = load_event("forgot_password_admin_reset.json")
    event["request"]["clientMetadata"] = {"reason": "security_incident", "locale": "de"}
    request = read_message_request(event)
    assert request is not None

    rendering = render(request, library=library, brands=brands, settings=settings)

    assert (rendering.messages.locale, rendering.messages.variant) == ("de", "security_incident")
    assert rendering.text_body is not None
    assert CODE_PLACEHOLDER in rendering.text_body
    assert "<" not in rendering.text_body  # the template as written, not the HTML the trigger would wrap it in
    # Without the HTML body, the plain-text one carries the e-mail, and nothing else is wrong.
    assert [f.part for f in rendering.plain_text.fallbacks] == ["body.html"]
    assert rendering.plain_text.email_variant == "text"


def test_a_broken_plain_text_body_shows_beside_a_sound_html_answer(
    tmp_path: Path, brands: BrandBook, settings: Settings
) -> None:
    variant = "en/forgot_password/admin_request"
    library = write_templates(
        tmp_path,
        {
            f"{variant}/subject.txt": "Reset",
            f"{variant}/body.html": "{% extends layout %}{% block content %}{{ code }}{% endblock %}",
            f"{variant}/body.txt": "Your password was reset.",  # no code: Cognito would refuse it
            f"{variant}/sms.txt": "{{ code }}",
        },
    )
    event = load_event("forgot_password_admin_reset.json")
    event["request"]["clientMetadata"] = {}
    request = read_message_request(event)
    assert request is not None

    rendering = render(request, library=library, brands=brands, settings=settings)

    # What a user gets is sound (the HTML body); what they would get if it failed is not, and says why.
    assert rendering.messages.email_variant == "html"
    assert not rendering.messages.fallbacks
    assert [(f.part, f.cause) for f in rendering.plain_text.fallbacks] == [
        ("body.html", "template_missing"),
        ("body.txt", "missing_placeholder"),
    ]
    assert rendering.plain_text.email_message is None
    assert rendering.text_body == "Your password was reset."
