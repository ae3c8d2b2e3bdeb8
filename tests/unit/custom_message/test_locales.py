"""Every locale on disk, found from the directory: as complete as English, greeting the user, typeset as its language.

test_templates.py renders every variant found for every brand; these tests make sure no locale quietly lacks one.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from contracts.client_metadata import ResetMetadata
from contracts.cognito import (
    ADMINISTRATOR_CLIENT_ID,
    CODE_PLACEHOLDER,
    DEVELOPER,
    FORGOT_PASSWORD,
    USERNAME_PLACEHOLDER,
)
from custom_message.brands import load_brand_book
from custom_message.event import MessageRequest
from custom_message.messages import ADMINISTRATOR_RESET, MESSAGE_KINDS, compose_messages, message_context
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


# GSM 03.38's basic character set: an SMS written only in it travels as 7-bit text, 160 characters to a segment; a
# single character outside it (ã, ç, ó, any Japanese) sends the whole SMS as UCS-2, 70 characters to a segment.
GSM_7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Locales whose SMS fit one segment: Portuguese and Dutch in GSM-7 (pt-BR words its SMS around ã, ç, ó, í, ú and ê),
# Japanese in UCS-2.
ONE_SEGMENT_SMS = {"pt-BR": (GSM_7, 160), "nl": (GSM_7, 160), "ja": (None, 70)}
ONE_SEGMENT_KEYS = sorted(key for key in LIBRARY.variants() if key.locale in ONE_SEGMENT_SMS)


@pytest.mark.parametrize("key", ONE_SEGMENT_KEYS, ids=["/".join(key) for key in ONE_SEGMENT_KEYS])
def test_an_sms_fits_one_segment_with_the_longest_brand_and_a_six_digit_code(key: TemplateKey) -> None:
    kind = MESSAGE_KINDS[key.message]
    longest_brand = max(BRANDS.brands.values(), key=lambda brand: len(brand.name))
    request = MessageRequest(
        trigger_source=kind.trigger_source,
        client_id=ADMINISTRATOR_CLIENT_ID if kind.from_administrator else "app-client",
        code_parameter=CODE_PLACEHOLDER,
        username_parameter=USERNAME_PLACEHOLDER if kind.needs_username else None,
        user_name="alice",
        metadata=ResetMetadata(reason=key.variant, locale=key.locale, brand=longest_brand.id),
    )
    result = compose_messages(
        request, library=LIBRARY, brands=BRANDS, settings=Settings(email_sending_account=DEVELOPER)
    )
    assert (result.locale, result.variant, result.fallbacks) == (key.locale, key.variant, ())
    # What the phone receives: Cognito puts the code (and, in the welcome, the user name) in place of its placeholders.
    sms = (result.sms_message or "").replace(CODE_PLACEHOLDER, "483920").replace(USERNAME_PLACEHOLDER, "alice")

    alphabet, segment = ONE_SEGMENT_SMS[key.locale]
    if alphabet is not None:
        assert sorted(set(sms) - alphabet) == [], "outside GSM-7: the SMS would go out as UCS-2"
    assert len(sms) <= segment, sms
