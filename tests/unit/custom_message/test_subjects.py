"""A subject is one header line: line breaks from a template fold into spaces; a typographic space a language needs
(French puts a no-break space before ':' and '?') stays."""

from __future__ import annotations

from pathlib import Path

from contracts.client_metadata import ResetMetadata
from contracts.cognito import ADMINISTRATOR_CLIENT_ID, CODE_PLACEHOLDER, DEVELOPER, FORGOT_PASSWORD
from custom_message.brands import BrandBook
from custom_message.event import MessageRequest
from custom_message.messages import compose_messages
from custom_message.settings import Settings
from tests.unit.custom_message.conftest import write_templates

NBSP = "\u00a0"


def test_a_subject_keeps_its_no_break_spaces_and_loses_its_line_breaks(tmp_path: Path, brands: BrandBook) -> None:
    directory = "fr/forgot_password/admin_request/"
    library = write_templates(
        tmp_path,
        {
            "layout.html": "{% block body %}{% endblock %}",
            "fr/layout.html": '{% extends "layout.html" %}',
            directory + "subject.txt": f"Avis de sécurité{NBSP}:\n  votre mot de passe\r\na été réinitialisé",
            directory + "body.html": "{% extends layout %}{% block body %}Code : {{ code }}{% endblock %}",
            directory + "body.txt": "Code : {{ code }}",
            directory + "sms.txt": "Code : {{ code }}",
        },
    )
    composed = compose_messages(
        MessageRequest(
            trigger_source=FORGOT_PASSWORD,
            code_parameter=CODE_PLACEHOLDER,
            client_id=ADMINISTRATOR_CLIENT_ID,
            metadata=ResetMetadata(locale="fr"),
        ),
        library=library,
        brands=brands,
        settings=Settings(email_sending_account=DEVELOPER, default_locale="fr"),
    )

    assert composed.email_subject == f"Avis de sécurité{NBSP}: votre mot de passe a été réinitialisé"
