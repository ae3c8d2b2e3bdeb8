"""Sign-up, resent code, attribute update and verification, sign-in code: Cognito's real events get tailored messages
in English and German, with the code in every part, Cognito's link placeholder where it confirms a sign-up in a pool
that confirms with a link (and nowhere in one that confirms with a code), each SMS within Cognito's limit, and English
wherever a German template is missing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from contracts.client_metadata import ResetMetadata
from contracts.cognito import (
    ADMINISTRATOR_CLIENT_ID,
    AUTHENTICATION,
    CODE_PLACEHOLDER,
    CONFIRM_WITH_CODE,
    CONFIRM_WITH_LINK,
    LINK_PLACEHOLDER,
    RESEND_CODE,
    SIGN_UP,
    SMS_MESSAGE_LIMIT,
    UPDATE_USER_ATTRIBUTE,
    USERNAME_PLACEHOLDER,
    VERIFY_USER_ATTRIBUTE,
)
from contracts.telemetry import TEMPLATE_FALLBACK
from custom_message.brands import BrandBook
from custom_message.event import MessageRequest, read_message_request
from custom_message.messages import MESSAGE_KINDS, compose_messages, message_context, message_kind
from custom_message.settings import Settings
from custom_message.templates import TemplateKey, TemplateLibrary
from tests.unit.custom_message.conftest import LINK_HOST, Captured, Invoke, load_event, write_templates

SIX_DIGIT_CODE = "483920"
EVENTS = {
    "sign_up": "sign_up.json",
    "resend_code": "resend_code.json",
    "update_user_attribute": "update_user_attribute.json",
    "verify_user_attribute": "verify_user_attribute.json",
    "authentication": "authentication.json",
}
TRIGGER_SOURCES = {
    "sign_up": SIGN_UP,
    "resend_code": RESEND_CODE,
    "update_user_attribute": UPDATE_USER_ATTRIBUTE,
    "verify_user_attribute": VERIFY_USER_ATTRIBUTE,
    "authentication": AUTHENTICATION,
}
# One phrase per message and locale that only that message says: in the e-mail body, the SMS and the subject.
EXPECTED = {
    ("sign_up", "en"): ("Thank you for signing up with", "to confirm your new account", "Confirm your new"),
    ("sign_up", "de"): (
        "Vielen Dank für Ihre Registrierung",
        "Bestätigung Ihres neuen Kontos",
        "Bestätigen Sie Ihr neues Konto",
    ),
    ("resend_code", "en"): ("You asked for a new code", "your new code to confirm", "new Example Corp confirmation"),
    ("resend_code", "de"): ("Sie haben einen neuen Code", "Ihr neuer Code", "Ihr neuer Bestätigungscode"),
    ("update_user_attribute", "en"): (
        "entered as the new address",
        "your new phone number",
        "Confirm your new e-mail address",
    ),
    ("update_user_attribute", "de"): (
        "als neue Adresse eines Kontos",
        "Ihrer neuen Telefonnummer",
        "Ihre neue E-Mail-Adresse",
    ),
    ("verify_user_attribute", "en"): (
        "You asked to confirm the e-mail address",
        "to confirm your phone number",
        "Confirm your e-mail address",
    ),
    ("verify_user_attribute", "de"): (
        "Sie haben angefordert, die E-Mail-Adresse",
        "Bestätigung Ihrer Telefonnummer",
        "Bestätigen Sie Ihre E-Mail-Adresse",
    ),
    ("authentication", "en"): ("finish signing in", "your sign-in code is", "sign-in code"),
    ("authentication", "de"): ("schließen Sie Ihre Anmeldung", "Ihr Anmeldecode lautet", "Ihr Anmeldecode"),
    ("sign_up", "fr"): (
        "Merci pour votre inscription",
        "confirmer votre nouveau compte",
        "Confirmez votre nouveau compte",
    ),
    ("resend_code", "fr"): ("Vous avez demandé un nouveau code", "votre nouveau code pour", "Votre nouveau code de"),
    ("update_user_attribute", "fr"): (
        "comme nouvelle adresse",
        "votre nouveau numéro de téléphone",
        "Confirmez votre nouvelle adresse e-mail",
    ),
    ("verify_user_attribute", "fr"): (
        "Vous avez demandé à confirmer l\u2019adresse e-mail",
        "confirmer votre numéro de téléphone",
        "Confirmez votre adresse e-mail",
    ),
    ("authentication", "fr"): ("finaliser la connexion", "votre code de connexion est", "Votre code de connexion"),
    ("sign_up", "es"): ("Gracias por registrarse", "confirmar su nueva cuenta", "Confirme su nueva cuenta"),
    ("resend_code", "es"): ("Ha solicitado un nuevo código", "su nuevo código para", "Su nuevo código de confirmación"),
    ("update_user_attribute", "es"): (
        "como la nueva dirección",
        "su nuevo número de teléfono",
        "Confirme su nueva dirección",
    ),
    ("verify_user_attribute", "es"): (
        "Ha solicitado confirmar la dirección",
        "confirmar su número de teléfono",
        "Confirme su dirección de correo",
    ),
    ("authentication", "es"): ("completar el inicio de sesión", "su código de inicio de sesión es", "Su código de"),
    ("sign_up", "it"): (
        "Grazie per la registrazione",
        "confermare il suo nuovo account",
        "Confermi il suo nuovo account",
    ),
    ("resend_code", "it"): ("Ha richiesto un nuovo codice", "il nuovo codice per", "Il suo nuovo codice di conferma"),
    ("update_user_attribute", "it"): (
        "come nuovo indirizzo",
        "suo nuovo numero di telefono",
        "Confermi il suo nuovo indirizzo",
    ),
    ("verify_user_attribute", "it"): (
        "Ha chiesto di confermare l\u2019indirizzo",
        "confermare il suo numero di telefono",
        "Confermi il suo indirizzo e-mail",
    ),
    ("authentication", "it"): ("completare l\u2019accesso", "il suo codice di accesso è", "Il suo codice di accesso"),
    ("sign_up", "pt-BR"): ("Agradecemos seu cadastro na", "confirmar sua nova conta", "Confirme sua nova conta"),
    ("resend_code", "pt-BR"): ("Você solicitou um novo código", "conforme solicitado", "Novo código de confirmação"),
    ("update_user_attribute", "pt-BR"): (
        "informado como o novo endereço",
        "confirmar seu novo celular",
        "Confirme o novo e-mail",
    ),
    ("verify_user_attribute", "pt-BR"): (
        "Você solicitou a confirmação do endereço",
        "confirmar seu celular.",
        "Confirme o e-mail da sua conta",
    ),
    ("authentication", "pt-BR"): ("concluir o login", "para entrar na sua conta", "Seu código de acesso"),
    ("sign_up", "nl"): ("Bedankt voor uw registratie", "uw nieuwe account te bevestigen", "Bevestig uw nieuwe account"),
    ("resend_code", "nl"): ("U hebt een nieuwe code aangevraagd", "uw nieuwe code om", "Uw nieuwe bevestigingscode"),
    ("update_user_attribute", "nl"): (
        "opgegeven als het nieuwe adres",
        "uw nieuwe telefoonnummer",
        "Bevestig uw nieuwe e-mailadres",
    ),
    ("verify_user_attribute", "nl"): (
        "U hebt gevraagd om het e-mailadres",
        "uw telefoonnummer te bevestigen",
        "Bevestig uw e-mailadres",
    ),
    ("authentication", "nl"): ("het inloggen op uw account", "uw inlogcode is", "Uw inlogcode"),
    ("sign_up", "ja"): ("にご登録いただき", "アカウント登録の確認コード", "アカウント登録確認のお願い"),
    ("resend_code", "ja"): (
        "新しいコードのリクエスト",
        "アカウント登録の新しい確認コード",
        "新しい確認コードのお知らせ",
    ),
    ("update_user_attribute", "ja"): (
        "新しいメールアドレスとして指定されました",
        "新しい電話番号の確認コード",
        "新しいメールアドレスの確認",
    ),
    ("verify_user_attribute", "ja"): (
        "メールアドレス確認のリクエスト",
        "】電話番号の確認コード",
        "】メールアドレスの確認",
    ),
    ("authentication", "ja"): ("ログインを完了するための認証コード", "】認証コード\uff1a", "ログイン用の認証コード"),
}
LINK_SENTENCE = {
    "en": "Or confirm your account with this link:",
    "de": "Oder bestätigen Sie Ihr Konto über diesen Link:",
    "fr": "Vous pouvez aussi confirmer votre compte avec ce lien\u00a0:",
    "es": "También puede confirmar su cuenta con este enlace:",
    "it": "In alternativa, può confermare il suo account con questo link:",
    "pt-BR": "Ou confirme sua conta por este link:",
    "nl": "U kunt uw account ook bevestigen via deze link:",
    # ja puts no space after its full-width colon (U+FF1A) before the placeholder; the test of every locale's sign-up
    # e-mail below covers it.
}


@pytest.fixture
def link_pool(settings: Settings) -> Settings:
    """A pool that confirms sign-ups with Cognito's link (VerificationMessageTemplate.DefaultEmailOption)."""
    return settings._replace(email_verification_option=CONFIRM_WITH_LINK)


def event_in(message: str, locale: str) -> dict[str, Any]:
    """The real event of one message, from a user whose locale attribute is ``locale``."""
    event = load_event(EVENTS[message])
    event["request"]["userAttributes"]["locale"] = locale
    return event


def plain_text(event: dict[str, Any], library: TemplateLibrary, brands: BrandBook, settings: Settings) -> str:
    """The plain-text body (the e-mail's first fallback) for this event, rendered as the trigger would."""
    request = read_message_request(event)
    assert request is not None
    kind = message_kind(request)
    assert kind is not None
    locale = event["request"]["userAttributes"]["locale"]
    key = TemplateKey(locale, kind.directory, kind.generic_variant)
    context = message_context(
        request, kind=kind, key=key, brand=brands.choose(None, settings.default_brand), settings=settings
    )
    return library.render(key, "body.txt", context)


def test_the_real_events_are_the_trigger_sources_they_are_named_after() -> None:
    for message, name in EVENTS.items():
        assert load_event(name)["triggerSource"] == TRIGGER_SOURCES[message]
        assert MESSAGE_KINDS[message].trigger_source == TRIGGER_SOURCES[message]


@pytest.mark.parametrize(("message", "locale"), sorted(EXPECTED))
def test_each_message_is_tailored_in_every_locale_with_the_code_in_every_part(
    invoke: Invoke,
    captured: Captured,
    library: TemplateLibrary,
    brands: BrandBook,
    settings: Settings,
    message: str,
    locale: str,
) -> None:
    event = event_in(message, locale)
    code = event["request"]["codeParameter"]

    response = invoke(event)["response"]

    body, sms, subject = EXPECTED[message, locale]
    assert body in response["emailMessage"]
    assert sms in response["smsMessage"]
    assert subject in response["emailSubject"]
    assert f'<html lang="{locale}">' in response["emailMessage"]
    assert '<div class="code"' in response["emailMessage"]
    for part in (response["emailMessage"], response["smsMessage"], plain_text(event, library, brands, settings)):
        assert code in part
    (line,) = captured.lines
    assert (line["triggerSource"], line["locale"], line["variant"]) == (TRIGGER_SOURCES[message], locale, "default")
    assert (line["emailVariant"], line["sms"], line["fallbacks"]) == ("html", True, [])


def test_every_message_and_locale_says_its_own_thing(invoke: Invoke) -> None:
    responses = [invoke(event_in(message, locale))["response"] for message, locale in EXPECTED]

    for field in ("emailSubject", "emailMessage", "smsMessage"):
        assert len({response[field] for response in responses}) == len(EXPECTED)


def test_the_sign_in_code_is_labelled_as_one(invoke: Invoke) -> None:
    english = invoke(event_in("authentication", "en"))["response"]["emailMessage"]
    german = invoke(event_in("authentication", "de"))["response"]["emailMessage"]

    assert "Your sign-in code</div>" in english
    assert "Ihr Anmeldecode</div>" in german
    assert "verification code" not in english
    for locale, label in (
        ("fr", "Votre code de connexion"),
        ("es", "Su código de inicio de sesión"),
        ("it", "Il suo codice di accesso"),
        ("pt-BR", "Seu código de acesso"),
        ("nl", "Uw inlogcode"),
        ("ja", "認証コード"),
    ):
        assert f"{label}</div>" in invoke(event_in("authentication", locale))["response"]["emailMessage"]


def test_no_message_offers_a_link_cognito_does_not_provide(invoke: Invoke) -> None:
    # A deployer's link from ClientMetadata belongs to the password messages; these link only where Cognito does.
    for name in EVENTS.values():
        event = load_event(name)
        event["request"]["clientMetadata"] = {"link": f"https://{LINK_HOST}/confirm", "reference": "SEC-4211"}

        response = invoke(event)["response"]

        assert LINK_HOST not in response["emailMessage"]
        assert "Choose a new password" not in response["emailMessage"]  # the layout's button stays out
        assert "SEC-4211" in response["emailMessage"]


# --- Cognito's link placeholder -----------------------------------------------------------------------------------

SIGN_UP_MESSAGES = ["sign_up", "resend_code"]


@pytest.mark.parametrize("message", SIGN_UP_MESSAGES)
@pytest.mark.parametrize("locale", sorted(LINK_SENTENCE))
def test_in_a_pool_that_confirms_with_a_link_the_e_mail_carries_the_placeholder_and_the_sms_the_code_alone(
    invoke: Invoke,
    library: TemplateLibrary,
    brands: BrandBook,
    link_pool: Settings,
    message: str,
    locale: str,
) -> None:
    event = event_in(message, locale)
    assert event["request"]["linkParameter"] == LINK_PLACEHOLDER

    response = invoke(event, settings_override=link_pool)["response"]

    assert f"{LINK_SENTENCE[locale]} {LINK_PLACEHOLDER}" in response["emailMessage"]
    assert CODE_PLACEHOLDER in response["emailMessage"]
    assert LINK_PLACEHOLDER in plain_text(event, library, brands, link_pool)
    assert LINK_PLACEHOLDER not in response["smsMessage"]
    assert CODE_PLACEHOLDER in response["smsMessage"]


@pytest.mark.parametrize("message", SIGN_UP_MESSAGES)
@pytest.mark.parametrize("locale", sorted(LINK_SENTENCE))
def test_in_a_pool_that_confirms_with_a_code_the_e_mail_carries_the_code_alone(
    invoke: Invoke,
    captured: Captured,
    library: TemplateLibrary,
    brands: BrandBook,
    settings: Settings,
    message: str,
    locale: str,
) -> None:
    # Real events carry the placeholder whatever the pool's option; in this pool nothing would replace it.
    event = event_in(message, locale)
    assert event["request"]["linkParameter"] == LINK_PLACEHOLDER
    assert settings.email_verification_option == CONFIRM_WITH_CODE

    response = invoke(event)["response"]

    assert LINK_PLACEHOLDER not in response["emailMessage"]
    assert LINK_SENTENCE[locale] not in response["emailMessage"]
    assert CODE_PLACEHOLDER in response["emailMessage"]
    text = plain_text(event, library, brands, settings)
    assert LINK_PLACEHOLDER not in text
    assert CODE_PLACEHOLDER in text
    assert response["smsMessage"] is not None
    assert LINK_PLACEHOLDER not in response["smsMessage"]
    assert captured.lines[0]["fallbacks"] == []


def sign_up_keys() -> list[TemplateKey]:
    """Every locale's sign-up and resent-code messages on disk, translations added since this test was written too."""
    return sorted(key for key in TemplateLibrary().variants() if key.message in SIGN_UP_MESSAGES)


def paragraphs(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\r\n", "\n").split("\n\n") if part.strip()]


@pytest.mark.parametrize("key", sign_up_keys(), ids=["/".join(key) for key in sign_up_keys()])
def test_every_locales_sign_up_e_mail_renders_for_either_option_and_differs_only_by_the_link_sentence(
    library: TemplateLibrary, brands: BrandBook, settings: Settings, link_pool: Settings, key: TemplateKey
) -> None:
    event = load_event(EVENTS[key.message])
    event["request"]["userAttributes"]["locale"] = key.locale
    request = read_message_request(event)
    assert request is not None
    assert request.link_parameter == LINK_PLACEHOLDER

    rendered = {}
    for pool in (settings, link_pool):
        result = compose_messages(request, library=library, brands=brands, settings=pool)
        assert (result.locale, result.email_variant, result.fallbacks) == (key.locale, "html", ())
        assert result.email_message is not None
        rendered[pool.email_verification_option] = (result.email_message, plain_text(event, library, brands, pool))

    (code_html, code_text), (link_html, link_text) = rendered[CONFIRM_WITH_CODE], rendered[CONFIRM_WITH_LINK]
    for with_link, without in ((link_html, code_html), (link_text, code_text)):
        assert with_link.count(LINK_PLACEHOLDER) == 1
        assert LINK_PLACEHOLDER not in without
        assert "None" not in without  # the template tests link_parameter, never prints an absent one
        assert CODE_PLACEHOLDER in with_link
        assert CODE_PLACEHOLDER in without
    # Only the link's own line (its paragraph in the plain text) differs between the two e-mails.
    assert [line for line in link_html.splitlines() if LINK_PLACEHOLDER not in line] == code_html.splitlines()
    assert [part for part in paragraphs(link_text) if LINK_PLACEHOLDER not in part] == paragraphs(code_text)


@pytest.mark.parametrize("message", SIGN_UP_MESSAGES)
@pytest.mark.parametrize("link_parameter", ["absent", None, ""])
def test_without_a_link_placeholder_the_sign_up_e_mail_offers_no_link(
    invoke: Invoke, link_pool: Settings, message: str, link_parameter: str | None
) -> None:
    event = event_in(message, "en")
    if link_parameter == "absent":
        del event["request"]["linkParameter"]
    else:
        event["request"]["linkParameter"] = link_parameter

    response = invoke(event, settings_override=link_pool)["response"]

    assert LINK_SENTENCE["en"] not in response["emailMessage"]
    assert "##}" not in response["emailMessage"].replace(CODE_PLACEHOLDER, "")
    assert CODE_PLACEHOLDER in response["emailMessage"]


@pytest.mark.parametrize("message", ["update_user_attribute", "verify_user_attribute", "authentication"])
def test_other_messages_leave_the_link_placeholder_out_even_in_a_pool_that_confirms_with_a_link(
    invoke: Invoke, link_pool: Settings, message: str
) -> None:
    event = event_in(message, "en")
    event["request"]["linkParameter"] = LINK_PLACEHOLDER

    response = invoke(event, settings_override=link_pool)["response"]

    assert LINK_PLACEHOLDER not in response["emailMessage"]
    assert CODE_PLACEHOLDER in response["emailMessage"]


SIGN_UP_DIRECTORY = "en/sign_up/default/"


def sign_up_templates(**overrides: str) -> dict[str, str]:
    files = {
        "subject.txt": "Confirm",
        "body.html": "HTML {{ code }} {{ link_parameter }}",
        "body.txt": "Text {{ code }} {{ link_parameter }}",
        "sms.txt": "SMS {{ code }}",
    }
    files.update(overrides)
    return {SIGN_UP_DIRECTORY + name: text for name, text in files.items()}


def test_a_sign_up_template_without_the_link_placeholder_is_not_sent_where_the_pool_confirms_with_a_link(
    tmp_path: Path, invoke: Invoke, captured: Captured, link_pool: Settings
) -> None:
    library = write_templates(tmp_path, sign_up_templates(**{"body.html": "HTML {{ code }} only"}))

    response = invoke(load_event("sign_up.json"), library_override=library, settings_override=link_pool)["response"]

    assert response["emailMessage"] == f"<p>Text {CODE_PLACEHOLDER} {LINK_PLACEHOLDER}</p>"
    assert response["smsMessage"] == f"SMS {CODE_PLACEHOLDER}"
    (line,) = captured.lines
    assert line["fallbacks"] == [
        {"part": "body.html", "template": SIGN_UP_DIRECTORY + "body.html", "cause": "missing_placeholder"}
    ]


def test_with_no_e_mail_template_holding_the_link_placeholder_cognito_sends_its_own_e_mail(
    tmp_path: Path, invoke: Invoke, captured: Captured, link_pool: Settings
) -> None:
    library = write_templates(
        tmp_path, sign_up_templates(**{"body.html": "HTML {{ code }}", "body.txt": "Text {{ code }}"})
    )

    response = invoke(load_event("sign_up.json"), library_override=library, settings_override=link_pool)["response"]

    assert (response["emailSubject"], response["emailMessage"]) == (None, None)
    assert response["smsMessage"] == f"SMS {CODE_PLACEHOLDER}"  # the SMS needs the code alone
    assert captured.lines[0]["fallbackCauses"] == ["missing_placeholder"]


@pytest.mark.parametrize("message", SIGN_UP_MESSAGES)
def test_where_the_pool_confirms_with_a_code_the_link_placeholder_is_not_required(
    tmp_path: Path, invoke: Invoke, captured: Captured, message: str
) -> None:
    directory = f"en/{message}/default/"
    files = {
        "subject.txt": "Confirm",
        "body.html": "HTML {{ code }}{% if link_parameter %} {{ link_parameter }}{% endif %}",
        "body.txt": "Text {{ code }}",
        "sms.txt": "SMS {{ code }}",
    }
    library = write_templates(tmp_path, {directory + name: text for name, text in files.items()})

    response = invoke(load_event(EVENTS[message]), library_override=library)["response"]

    assert response["emailMessage"] == f"HTML {CODE_PLACEHOLDER}"
    assert captured.lines[0]["fallbacks"] == []


def test_a_link_placeholder_html_would_alter_is_never_sent_altered(
    tmp_path: Path, invoke: Invoke, link_pool: Settings
) -> None:
    # Escaping would change it, and Cognito could no longer find it: the plain-text variant escapes it too, so the
    # e-mail is left to Cognito rather than sent with a broken placeholder.
    event = load_event("sign_up.json")
    event["request"]["linkParameter"] = "{##Click & go##}"

    library = write_templates(tmp_path, sign_up_templates())
    response = invoke(event, library_override=library, settings_override=link_pool)["response"]

    assert response["emailMessage"] is None
    assert response["smsMessage"] == f"SMS {CODE_PLACEHOLDER}"


# --- SMS length ---------------------------------------------------------------------------------------------------


def sms_keys() -> list[TemplateKey]:
    return sorted(TemplateLibrary().variants())


@pytest.mark.parametrize("key", sms_keys(), ids=["/".join(key) for key in sms_keys()])
def test_every_sms_fits_with_the_longest_brand_name_and_a_six_digit_code(
    library: TemplateLibrary, brands: BrandBook, settings: Settings, key: TemplateKey
) -> None:
    # Cognito counts characters, not bytes (140 for an SMS); a long brand name is what pushes a message over.
    longest = max(brands.brands.values(), key=lambda brand: len(brand.name))
    kind = MESSAGE_KINDS[key.message]
    request = MessageRequest(
        trigger_source=kind.trigger_source,
        code_parameter=CODE_PLACEHOLDER,
        username_parameter=USERNAME_PLACEHOLDER if kind.needs_username else None,
        link_parameter=LINK_PLACEHOLDER,
        client_id=ADMINISTRATOR_CLIENT_ID if kind.from_administrator else "4ns1ll0l2q9c5bdbm7l4t9r3qk",
        user_name="alice",
        user_attributes={"given_name": "Alice", "locale": key.locale},
        metadata=ResetMetadata(brand=longest.id, reason=key.variant),
    )

    result = compose_messages(request, library=library, brands=brands, settings=settings)

    assert result.sms_message is not None
    assert (result.locale, result.variant, result.fallbacks) == (key.locale, key.variant, ())
    sent = result.sms_message.replace(CODE_PLACEHOLDER, SIX_DIGIT_CODE)
    assert len(sent) <= SMS_MESSAGE_LIMIT, f"{len(sent)} characters: {sent}"


# --- a missing German template falls back to English, never to nothing --------------------------------------------

SHIPPED = Path(TemplateLibrary().root)


def german_layout() -> dict[str, str]:
    return {"de/layout.html": (SHIPPED / "de" / "layout.html").read_text(encoding="utf-8")}


def english_sign_up() -> dict[str, str]:
    return {
        SIGN_UP_DIRECTORY + "subject.txt": "Confirm your account",
        SIGN_UP_DIRECTORY + "body.html": (
            "{% extends layout %}{% block lead %}English lead {{ link_parameter }}{% endblock %}"
        ),
        SIGN_UP_DIRECTORY + "body.txt": "English text {{ code }} {{ link_parameter }}",
        SIGN_UP_DIRECTORY + "sms.txt": "English SMS {{ code }}",
    }


GERMAN_SIGN_UP = "de/sign_up/default/"


def test_a_german_user_gets_english_where_no_german_message_exists(
    tmp_path: Path, invoke: Invoke, captured: Captured
) -> None:
    library = write_templates(tmp_path, german_layout() | english_sign_up())

    response = invoke(event_in("sign_up", "de"), library_override=library)["response"]

    assert "English lead" in response["emailMessage"]
    assert '<html lang="en">' in response["emailMessage"]
    assert response["emailSubject"] == "Confirm your account"
    assert response["smsMessage"] == f"English SMS {CODE_PLACEHOLDER}"
    (line,) = captured.lines
    assert (line["locale"], line["fallbacks"]) == ("en", [])


def test_a_german_part_that_is_missing_is_sent_in_english_and_counted(
    tmp_path: Path, invoke: Invoke, captured: Captured
) -> None:
    german = {
        GERMAN_SIGN_UP + "subject.txt": "Konto bestätigen",
        GERMAN_SIGN_UP + "body.html": "{% extends layout %}{% block lead %}Deutsch {{ link_parameter }}{% endblock %}",
        GERMAN_SIGN_UP + "body.txt": "Deutsch {{ code }} {{ link_parameter }}",
    }  # no sms.txt
    library = write_templates(tmp_path, german_layout() | english_sign_up() | german)

    response = invoke(event_in("sign_up", "de"), library_override=library)["response"]

    assert "Deutsch" in response["emailMessage"]
    assert response["emailSubject"] == "Konto bestätigen"
    assert response["smsMessage"] == f"English SMS {CODE_PLACEHOLDER}"
    (line,) = captured.lines
    assert line["locale"] == "de"
    assert line["fallbacks"] == [{"part": "sms", "template": GERMAN_SIGN_UP + "sms.txt", "cause": "template_missing"}]
    assert line[TEMPLATE_FALLBACK] == 1


def test_an_english_e_mail_in_place_of_a_broken_german_one_is_english_throughout(
    tmp_path: Path, invoke: Invoke, captured: Captured
) -> None:
    german = {
        GERMAN_SIGN_UP + "subject.txt": "Konto bestätigen",
        GERMAN_SIGN_UP + "body.html": "{% extends layout %}{% block lead %}{{ typo }}{% endblock %}",
        GERMAN_SIGN_UP + "body.txt": "Deutsch ohne Code",
        GERMAN_SIGN_UP + "sms.txt": "Deutsche SMS {{ code }}",
    }
    library = write_templates(tmp_path, german_layout() | english_sign_up() | german)

    response = invoke(event_in("sign_up", "de"), library_override=library)["response"]

    html = response["emailMessage"]
    assert "English lead" in html
    assert '<html lang="en">' in html  # the English layout: greeting and footer in English too
    assert "Hello," in html
    assert "Guten Tag" not in html
    assert response["emailSubject"] == "Confirm your account"  # the subject in the body's language
    assert response["smsMessage"] == f"Deutsche SMS {CODE_PLACEHOLDER}"
    (line,) = captured.lines
    assert [(f["template"], f["cause"]) for f in line["fallbacks"]] == [
        (GERMAN_SIGN_UP + "body.html", "template_error"),
        (GERMAN_SIGN_UP + "body.txt", "missing_placeholder"),
    ]


def test_every_german_part_missing_still_sends_the_english_message(
    tmp_path: Path, invoke: Invoke, captured: Captured
) -> None:
    (tmp_path / GERMAN_SIGN_UP).mkdir(parents=True)  # an empty German directory: a translation begun, not written
    library = write_templates(tmp_path, german_layout() | english_sign_up())

    response = invoke(event_in("sign_up", "de"), library_override=library)["response"]

    assert "English lead" in response["emailMessage"]
    assert response["emailSubject"] == "Confirm your account"
    assert response["smsMessage"] == f"English SMS {CODE_PLACEHOLDER}"
    causes = {(f["part"], f["cause"]) for f in captured.lines[0]["fallbacks"]}
    assert causes == {
        ("body.html", "template_missing"),
        ("body.txt", "template_missing"),
        ("sms", "template_missing"),
    }  # the subject is the English body's own: the German one is never looked for


def test_the_fallback_language_is_the_configured_default(
    tmp_path: Path, invoke: Invoke, captured: Captured, settings: Settings
) -> None:
    german = {
        GERMAN_SIGN_UP + "subject.txt": "Konto bestätigen",
        GERMAN_SIGN_UP + "body.html": "{% extends layout %}{% block lead %}Deutsch{% endblock %}",
        GERMAN_SIGN_UP + "body.txt": "Deutsch {{ code }}",
        GERMAN_SIGN_UP + "sms.txt": "Deutsche SMS {{ code }}",
    }
    english = {SIGN_UP_DIRECTORY + "sms.txt": "English SMS {{ code }}"}
    library = write_templates(tmp_path, german_layout() | english | german)
    event = event_in("authentication", "en")  # no linkParameter
    event["triggerSource"] = SIGN_UP

    response = invoke(event, library_override=library, settings_override=settings._replace(default_locale="de"))

    assert response["response"]["smsMessage"] == f"English SMS {CODE_PLACEHOLDER}"  # the user asked for English
    assert "Deutsch" in response["response"]["emailMessage"]  # English has no e-mail: the default language's
    assert captured.lines[0]["locale"] == "en"
