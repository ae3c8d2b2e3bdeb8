"""What a run's users will receive: the CustomMessage event Cognito sends for an administrator's reset
(CustomMessage_ForgotPassword, from no app client, with the run's clientMetadata), read and rendered by the trigger's
own code, as for a pool that sends e-mail through its own SES identity (under Cognito's own sender only the SMS is
the trigger's), from the deployment's messages: the built-in ones with its message pack over them, merged and checked
as synth merges and checks them. Cognito's code placeholder is shown replaced by a sample code, as Cognito replaces
it."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from contracts import environment as env
from contracts.cognito import CODE_PLACEHOLDER, DEVELOPER, forgot_password_event
from custom_message.brands import BrandBook, load_brand_book
from custom_message.event import read_message_request
from custom_message.messages import MessageSet
from custom_message.rendering import render
from custom_message.settings import Settings
from custom_message.templates import TemplateLibrary
from message_tooling.message_pack import Deployment, merged_and_checked
from message_tooling.preview import SAMPLE_CODE, SAMPLE_GIVEN_NAME, SAMPLE_USERNAME

SAMPLE_USER: Final = {"given_name": SAMPLE_GIVEN_NAME, "email": SAMPLE_USERNAME, "email_verified": "true"}


@dataclass(frozen=True, slots=True)
class MessagePreview:
    """The e-mail (subject, plain text, HTML) and the SMS, None where Cognito would send its own default."""

    messages: MessageSet
    text_body: str | None

    @property
    def subject(self) -> str | None:
        return _as_sent(self.messages.email_subject)

    @property
    def html_body(self) -> str | None:
        return _as_sent(self.messages.email_message)

    @property
    def sms(self) -> str | None:
        return _as_sent(self.messages.sms_message)

    def document(self) -> dict[str, Any]:
        messages = self.messages
        return {
            "locale": messages.locale,
            "variant": messages.variant,
            "brand": messages.brand,
            "subject": self.subject,
            "text": self.text_body,
            "sms": self.sms,
            "fallbacks": [fallback._asdict() for fallback in messages.fallbacks],
        }


def administrator_reset_event(client_metadata: dict[str, str]) -> dict[str, Any]:
    """The event Cognito sends the trigger during AdminResetUserPassword with this ClientMetadata."""
    return forgot_password_event(
        region="eu-west-1",
        pool_id="eu-west-1_preview",
        username=SAMPLE_USER["email"],
        attributes=dict(SAMPLE_USER),
        client_metadata=client_metadata,
    )


def preview_administrator_reset(client_metadata: dict[str, str], deployment: Deployment) -> MessagePreview:
    """Raises MessagePackError, naming each file, for a pack synth would refuse."""
    # The trigger's settings as the stack sets them from this deployment (infra/custom_message.py), read the
    # trigger's own way.
    environ = {env.EMAIL_SENDING_ACCOUNT: DEVELOPER}
    environ |= {env.DEFAULT_LOCALE: deployment.default_locale} if deployment.default_locale else {}
    environ |= {env.DEFAULT_BRAND: deployment.default_brand} if deployment.default_brand else {}
    settings = Settings.from_environment(environ)
    if deployment.message_pack is None:
        return _preview(client_metadata, TemplateLibrary(), load_brand_book(), settings)
    with tempfile.TemporaryDirectory(prefix="message-pack-") as directory:
        merged = merged_and_checked(deployment.message_pack, Path(directory))
        return _preview(client_metadata, merged.library(), load_brand_book(merged.brands), settings)


def _preview(
    client_metadata: dict[str, str], library: TemplateLibrary, brands: BrandBook, settings: Settings
) -> MessagePreview:
    request = read_message_request(administrator_reset_event(client_metadata))
    if request is None:
        raise AssertionError("unreachable: the event carries a code placeholder")
    rendering = render(request, library=library, brands=brands, settings=settings)
    return MessagePreview(rendering.messages, _as_sent(rendering.text_body))


def _as_sent(text: str | None) -> str | None:
    return text.replace(CODE_PLACEHOLDER, SAMPLE_CODE) if text is not None else None
