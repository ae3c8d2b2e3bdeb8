"""Every locale on disk, found from the directory: as complete as English, greeting the user, typeset as its language.

test_templates.py renders every variant found for every brand; these tests make sure no locale quietly lacks one.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from contracts.client_metadata import ResetMetadata
from contracts.cognito import ADMINISTRATOR_CLIENT_ID, CODE_PLACEHOLDER, DEVELOPER, FORGOT_PASSWORD
from custom_message.brands import load_brand_book
from custom_message.event import MessageRequest
from custom_message.messages import ADMINISTRATOR_RESET, compose_messages, message_context
from custom_message.settings import Settings
from custom_message.templates import TemplateKey, TemplateLibrary

LIBRARY = TemplateLibrary()
BRANDS = load_brand_book()
ROOT = Path(LIBRARY.root)
LOCALES = sorted(path.name for path in ROOT.iterdir() if path.is_dir())
PARTS = ("subject.txt", "body.html", "body.txt", "sms.txt")


def messages_of(locale: str) -> set[tuple[str, str]]:
    return {(key.message, key.variant) for key in LIBRARY.variants() if key.locale == locale}


def test_the_locales_are_found_on_disk() -> None:
    assert {"en", "de", "fr", "es", "it", "pt-BR", "nl", "ja"} <= set(LOCALES)


@pytest.mark.parametrize("locale", LOCALES)
def test_every_locale_is_as_complete_as_english(locale: str) -> None:
    # A message missing in a locale is not an error in production, only a quiet fall back to another one.
    assert (ROOT / locale / "layout.html").is_file()
    missing = messages_of("en") - messages_of(locale)
    assert not missing, f"{locale} lacks {sorted('/'.join(pair) for pair in missing)}"
    for message, variant in messages_of(locale):
        for part in PARTS:
            assert (ROOT / locale / message / variant / part).is_file(), f"{locale}/{message}/{variant}/{part}"


GREETINGS = {
    "en": ("Hello Alice,", "Hello,"),
    "de": ("Hallo Alice,", "Guten Tag,"),
    "fr": ("Bonjour Alice,", "Bonjour,"),
    "es": ("Hola, Alice:", "Hola:"),
    "it": ("Gentile Alice,", "Gentile utente,"),
    "pt-BR": ("Olá, Alice,", "Olá,"),
    "nl": ("Beste Alice,", "Goedendag,"),
    "ja": ("Alice 様", "ご利用者様"),
}


@pytest.mark.parametrize("locale", sorted(GREETINGS))
@pytest.mark.parametrize("given_name", ["Alice", None])
def test_the_greeting_with_and_without_a_name(locale: str, given_name: str | None) -> None:
    request = MessageRequest(
        trigger_source=FORGOT_PASSWORD,
        client_id=ADMINISTRATOR_CLIENT_ID,
        code_parameter=CODE_PLACEHOLDER,
        user_name="alice",
        user_attributes={"given_name": given_name} if given_name else {},
        metadata=ResetMetadata(locale=locale),
    )
    settings = Settings(email_sending_account=DEVELOPER)
    result = compose_messages(request, library=LIBRARY, brands=BRANDS, settings=settings)
    greeting = GREETINGS[locale][0 if given_name else 1]

    assert result.locale == locale
    assert f">{greeting}</p>" in (result.email_message or "")
    key = TemplateKey(locale, "forgot_password", "admin_request")
    context = message_context(
        request, kind=ADMINISTRATOR_RESET, key=key, brand=BRANDS.choose(None, "default"), settings=settings
    )
    assert LIBRARY.render(key, "body.txt", context).startswith(greeting + "\n")


def visible_text(path: Path) -> str:
    """The words of an e-mail template: no Jinja, no HTML tags, no addresses."""
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"\{[{%#].*?[}%#]\}", " ", text, flags=re.DOTALL)
    text = re.sub(r"<[^>]*>", " ", text)
    return re.sub(r"(https?|mailto):\S*", " ", text)


def email_templates(locale: str) -> list[Path]:
    if not (ROOT / locale).is_dir():
        return []
    return sorted(path for path in (ROOT / locale).rglob("*") if path.name in ("layout.html", "body.html", "body.txt"))


@pytest.mark.parametrize("path", email_templates("fr"), ids=lambda path: os.path.relpath(path, ROOT))
def test_french_e_mails_keep_a_no_break_space_before_high_punctuation(path: Path) -> None:
    for match in re.finditer(r"(.)([:;?!»])", visible_text(path)):
        assert match.group(1) in "\u00a0\u202f", f"{match.group(0)!r} needs a no-break space in {path.name}"
    assert "'" not in visible_text(path), "French e-mails use the typographic apostrophe (U+2019)"


@pytest.mark.parametrize("path", email_templates("es"), ids=lambda path: os.path.relpath(path, ROOT))
def test_spanish_questions_and_exclamations_open_with_their_inverted_mark(path: Path) -> None:
    text = visible_text(path)
    assert text.count("¿") == text.count("?")
    assert text.count("¡") == text.count("!")


@pytest.mark.parametrize("path", email_templates("it"), ids=lambda path: os.path.relpath(path, ROOT))
def test_italian_e_mails_use_the_typographic_apostrophe(path: Path) -> None:
    assert "'" not in visible_text(path), "Italian e-mails use the typographic apostrophe (U+2019)"
