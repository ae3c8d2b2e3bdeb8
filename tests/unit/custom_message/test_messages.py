"""What users read: locale, reason, brand, personalisation, escaping, limits and the fallback chain."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from contracts.client_metadata import ResetMetadata
from contracts.cognito import (
    ADMINISTRATOR_CLIENT_ID,
    CODE_PLACEHOLDER,
    EMAIL_MESSAGE_LIMIT,
    EMAIL_SUBJECT_LIMIT,
    FORGOT_PASSWORD,
    SMS_MESSAGE_LIMIT,
)
from contracts.telemetry import MESSAGE_RENDERED, TEMPLATE_FALLBACK
from custom_message.brands import BrandBook
from custom_message.event import MessageRequest
from custom_message.messages import (
    MessageSet,
    choose_locale,
    compose_messages,
    display_text,
    locale_candidates,
    plain_text_as_html,
)
from custom_message.settings import Settings
from custom_message.templates import TemplateLibrary
from tests.unit.custom_message.conftest import Captured, Invoke, forgot_password_event, write_templates

REASONS = ("admin_request", "security_incident", "policy_rotation", "account_recovery")
# One phrase per locale and reason that only that message says, in the body, the SMS and the subject.
EXPECTED = {
    ("en", "admin_request"): ("An administrator has reset", "an administrator reset", "password has been reset"),
    ("en", "security_incident"): ("after a security incident", "security notice", "Security notice"),
    ("en", "policy_rotation"): ("password policy renews", "due for renewal", "Time for a new"),
    ("en", "account_recovery"): ("help getting back into", "to recover your account", "Recover your"),
    ("de", "admin_request"): ("Die Administration hat", "von der Administration", "wurde zurückgesetzt"),
    ("de", "security_incident"): ("Nach einem Sicherheitsvorfall", "Sicherheitshinweis", "Sicherheitshinweis"),
    ("de", "policy_rotation"): ("Passwortrichtlinie", "turnusgemäß", "Zeit für ein neues"),
    ("de", "account_recovery"): ("Hilfe beim Zugang", "Wiederherstellung", "Wiederherstellung"),
    ("fr", "admin_request"): ("Un administrateur a", "un administrateur a", "Votre mot de passe"),
    ("fr", "security_incident"): ("incident de sécurité", "Avis de sécurité", "Avis de sécurité"),
    ("fr", "policy_rotation"): ("politique de mots de passe", "arrive à échéance", "Il est temps de renouveler"),
    ("fr", "account_recovery"): ("accéder de nouveau", "pour récupérer votre compte", "Récupération de votre compte"),
    ("es", "admin_request"): ("Un administrador ha", "un administrador ha", "Se ha restablecido"),
    ("es", "security_incident"): ("tras un incidente de seguridad", "Aviso de seguridad", "Aviso de seguridad"),
    ("es", "policy_rotation"): ("política de contraseñas", "renovación periódica", "Es hora de renovar"),
    ("es", "account_recovery"): ("volver a acceder", "para recuperar su cuenta", "Recuperación de su cuenta"),
    ("it", "admin_request"): ("Un amministratore ha", "un amministratore ha", "La password del"),
    ("it", "security_incident"): ("incidente di sicurezza", "Avviso di sicurezza", "Avviso di sicurezza"),
    ("it", "policy_rotation"): ("politica sulle password", "rinnovo periodico", "È il momento di rinnovare"),
    ("it", "account_recovery"): ("accedere di nuovo", "per recuperare il suo account", "Recupero del suo account"),
}


def compose(
    library: TemplateLibrary,
    brands: BrandBook,
    settings: Settings,
    *,
    metadata: ResetMetadata | None = None,
    attributes: dict[str, str] | None = None,
    trigger_source: str = FORGOT_PASSWORD,
    code: str = CODE_PLACEHOLDER,
    client_id: str = ADMINISTRATOR_CLIENT_ID,
) -> MessageSet:
    request = MessageRequest(
        trigger_source=trigger_source,
        client_id=client_id,
        code_parameter=code,
        username_parameter="{username}" if trigger_source == "CustomMessage_AdminCreateUser" else None,
        user_name="alice",
        user_attributes=attributes or {},
        metadata=metadata or ResetMetadata(),
    )
    return compose_messages(request, library=library, brands=brands, settings=settings)


@pytest.mark.parametrize(("locale", "reason"), sorted(EXPECTED))
def test_each_locale_and_reason_says_its_own_thing(
    library: TemplateLibrary, brands: BrandBook, settings: Settings, locale: str, reason: str
) -> None:
    result = compose(library, brands, settings, metadata=ResetMetadata(reason=reason, locale=locale))

    body_phrase, sms_phrase, subject_phrase = EXPECTED[locale, reason]
    assert result.locale == locale
    assert result.variant == reason
    assert result.fallbacks == ()
    assert body_phrase in (result.email_message or "")
    assert sms_phrase in (result.sms_message or "")
    assert subject_phrase in (result.email_subject or "")
    assert f'<html lang="{locale}">' in (result.email_message or "")


def test_all_locale_reason_messages_are_distinct(
    library: TemplateLibrary, brands: BrandBook, settings: Settings
) -> None:
    results = [
        compose(library, brands, settings, metadata=ResetMetadata(reason=reason, locale=locale))
        for locale, reason in EXPECTED
    ]
    for field in ("email_subject", "email_message", "sms_message"):
        assert len({getattr(result, field) for result in results}) == len(EXPECTED)


@pytest.mark.parametrize("reason", [None, "offboarding_contractor", "x" * 64])
def test_unknown_or_missing_reason_renders_the_generic_message_without_a_fallback(
    library: TemplateLibrary, brands: BrandBook, settings: Settings, reason: str | None
) -> None:
    result = compose(library, brands, settings, metadata=ResetMetadata(reason=reason))

    assert result.variant == "admin_request"
    assert result.fallbacks == ()
    assert "An administrator has reset" in (result.email_message or "")


@pytest.mark.parametrize(
    ("requested", "attribute", "expected"),
    [
        ("de-AT", None, "de"),
        ("de_DE", None, "de"),
        ("DE", None, "de"),
        ("de-Latn-AT", "en", "de"),
        ("en-GB", "de", "en"),
        ("sv", "de-CH", "de"),
        ("sv", None, "en"),
        (None, "de-CH", "de"),
        (None, "de", "de"),
        (None, "not a locale!", "en"),
        (None, "../../etc", "en"),
        (None, None, "en"),
    ],
)
def test_locale_metadata_then_user_attribute_then_default(
    library: TemplateLibrary,
    brands: BrandBook,
    settings: Settings,
    requested: str | None,
    attribute: str | None,
    expected: str,
) -> None:
    attributes = {"locale": attribute} if attribute else {}
    result = compose(library, brands, settings, metadata=ResetMetadata(locale=requested), attributes=attributes)

    assert result.locale == expected


def test_default_locale_setting_and_its_own_fallback(library: TemplateLibrary, brands: BrandBook) -> None:
    assert compose(library, brands, Settings(default_locale="de-CH")).locale == "de"
    # A default with no templates (a typo in DEFAULT_LOCALE) still gets the shipped English, not silence.
    assert compose(library, brands, Settings(default_locale="xx")).locale == "en"


def test_locale_candidates_shorten_a_tag_and_reject_junk() -> None:
    assert locale_candidates("zh-Hant-TW") == ["zh-hant-tw", "zh-hant", "zh"]
    assert locale_candidates("de_AT") == ["de-at", "de"]
    for junk in ("", None, "d", "deutsch-x", "de-", "../de", "de AT"):
        assert locale_candidates(junk) == []
    assert choose_locale(["fr"], has_messages=lambda _tag: False, default="en") is None


def test_brand_requested_then_configured_default_then_built_in(
    library: TemplateLibrary, brands: BrandBook, settings: Settings
) -> None:
    assert compose(library, brands, settings, metadata=ResetMetadata(brand="acme")).brand == "acme"
    assert compose(library, brands, settings, metadata=ResetMetadata(brand="nope")).brand == "default"
    assert compose(library, brands, Settings(default_brand="acme")).brand == "acme"
    no_brands = BrandBook(brands={})
    result = compose(library, no_brands, settings)
    assert result.brand == "default"
    assert "Account security" in (result.email_message or "")


def test_given_name_personalises_the_greeting(library: TemplateLibrary, brands: BrandBook, settings: Settings) -> None:
    en = compose(library, brands, settings, attributes={"given_name": "  Ann\u200b-Marie\n "})
    de = compose(library, brands, settings, metadata=ResetMetadata(locale="de"), attributes={"given_name": "Jörg"})

    assert "Hello Ann-Marie," in (en.email_message or "")
    assert "Hallo Jörg," in (de.email_message or "")


INJECTION = '"><script>alert(1)</script><img src=x onerror=alert(2)>'


@pytest.mark.parametrize("key", ["reason", "locale", "brand", "reference", "link"])
def test_html_injection_in_any_metadata_key_never_reaches_the_html_raw(
    invoke: Invoke, captured: Captured, key: str
) -> None:
    event = forgot_password_event({key: INJECTION, "reason": "security_incident"} | {key: INJECTION})
    response = invoke(event)["response"]

    assert CODE_PLACEHOLDER in response["emailMessage"]
    for field in ("emailMessage", "emailSubject", "smsMessage"):
        assert "<script" not in response[field]
        assert "onerror=alert" not in response[field] or "&lt;img" in response[field]
    if key == "reference":
        assert "&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in response["emailMessage"]


@pytest.mark.parametrize("attribute", ["given_name", "locale", "email", "name", "family_name"])
def test_html_injection_in_user_attributes_is_escaped_or_ignored(invoke: Invoke, attribute: str) -> None:
    event = forgot_password_event({"reason": "admin_request"}, **{attribute: INJECTION})

    response = invoke(event)["response"]

    assert "<script" not in response["emailMessage"]
    assert CODE_PLACEHOLDER in response["emailMessage"]
    if attribute == "given_name":
        assert "Hello &#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in response["emailMessage"]


def test_reference_is_escaped_stripped_of_control_characters_and_truncated(
    library: TemplateLibrary, brands: BrandBook, settings: Settings
) -> None:
    reference = "SEC\u202e-42 <b>&" + "x" * 100
    result = compose(library, brands, settings, metadata=ResetMetadata(reference=reference))

    shown = "SEC-42 &lt;b&gt;&amp;" + "x" * 52 + "…"  # 63 characters of the value, then the ellipsis
    assert f'<span class="reference">{shown}</span>' in (result.email_message or "")
    assert "\u202e" not in (result.email_message or "")


def test_display_text_rules() -> None:
    assert display_text(None, 10) is None
    assert display_text(" \n\t ", 10) is None
    assert display_text("a\u2028b\u0000c \r\n d\u200b", 10) == "a bc d"
    assert display_text("abcdefghijk", 10) == "abcdefghi…"


def test_plain_text_becomes_escaped_paragraphs() -> None:
    assert plain_text_as_html("Hi <you>,\n\nline 1\nline 2 & more\n\n\n") == (
        "<p>Hi &lt;you&gt;,</p>\n<p>line 1<br>\nline 2 &amp; more</p>"
    )


# --- limits and the fallback chain, on purpose-built templates ---------------------------------------------------

GENERIC = "en/forgot_password/admin_request/"
INCIDENT = "en/forgot_password/security_incident/"


def sized_templates(*, subject: int = 10, html: int = 100, text: int = 50, sms: int = 30) -> dict[str, str]:
    """Templates whose output is exactly the given length with code CODE_PLACEHOLDER (6 characters)."""
    return {
        GENERIC + "subject.txt": "S" * subject,
        GENERIC + "body.html": "{{ code }}" + "h" * (html - 6),
        GENERIC + "body.txt": "{{ code }}" + "t" * (text - 6 - len("<p></p>")),
        GENERIC + "sms.txt": "{{ code }}" + "m" * (sms - 6),
    }


def test_exact_limits_are_accepted(tmp_path: Path, brands: BrandBook, settings: Settings) -> None:
    library = write_templates(
        tmp_path, sized_templates(subject=EMAIL_SUBJECT_LIMIT, html=EMAIL_MESSAGE_LIMIT, sms=SMS_MESSAGE_LIMIT)
    )
    result = compose(library, brands, settings)

    assert result.fallbacks == ()
    assert len(result.email_subject or "") == 140
    assert len(result.email_message or "") == 20_000
    assert len(result.sms_message or "") == 140


def test_sms_one_over_the_limit_falls_back_to_cognito_default(
    tmp_path: Path, brands: BrandBook, settings: Settings
) -> None:
    library = write_templates(tmp_path, sized_templates(sms=141))
    result = compose(library, brands, settings)

    assert result.sms_message is None
    assert result.email_message is not None
    assert [(f.part, f.cause) for f in result.fallbacks] == [("sms", "over_limit")]


def test_subject_one_over_the_limit_drops_the_email_pair_to_defaults(
    tmp_path: Path, brands: BrandBook, settings: Settings
) -> None:
    library = write_templates(tmp_path, sized_templates(subject=141))
    result = compose(library, brands, settings)

    assert (result.email_subject, result.email_message, result.email_variant) == (None, None, "default")
    assert result.sms_message is not None
    assert result.tailored
    assert [(f.part, f.cause) for f in result.fallbacks] == [("subject", "over_limit")]


def test_html_one_over_the_limit_falls_back_to_the_plain_text_variant(
    tmp_path: Path, brands: BrandBook, settings: Settings
) -> None:
    library = write_templates(tmp_path, sized_templates(html=20_001, text=20_000))
    result = compose(library, brands, settings)

    assert result.email_variant == "text"
    assert len(result.email_message or "") == 20_000
    assert (result.email_message or "").startswith("<p>{####}ttt")
    assert [(f.part, f.cause) for f in result.fallbacks] == [("body.html", "over_limit")]


def test_both_email_variants_over_the_limit_leave_cognito_defaults(
    tmp_path: Path, brands: BrandBook, settings: Settings
) -> None:
    library = write_templates(tmp_path, sized_templates(html=20_001, text=20_001))
    result = compose(library, brands, settings)

    assert (result.email_subject, result.email_message) == (None, None)
    assert [(f.part, f.cause) for f in result.fallbacks] == [("body.html", "over_limit"), ("body.txt", "over_limit")]


def test_subject_newlines_are_folded_into_one_header_line(
    tmp_path: Path, brands: BrandBook, settings: Settings
) -> None:
    files = sized_templates()
    files[GENERIC + "subject.txt"] = "Line one\r\nBcc: victim@example.com\u2028end"
    result = compose(write_templates(tmp_path, files), brands, settings)

    assert result.email_subject == "Line one Bcc: victim@example.com end"


def test_a_template_without_the_code_is_never_sent(tmp_path: Path, brands: BrandBook, settings: Settings) -> None:
    files = sized_templates()
    files[GENERIC + "sms.txt"] = "Your code is on its way"
    files[GENERIC + "body.html"] = "Forgot the code"
    result = compose(write_templates(tmp_path, files), brands, settings)

    assert result.sms_message is None
    assert result.email_variant == "text"
    causes = [(f.part, f.cause) for f in result.fallbacks]
    assert causes == [("body.html", "missing_placeholder"), ("sms", "missing_placeholder")]


def reason_templates(body_html: str, body_txt: str) -> dict[str, str]:
    files = sized_templates()
    files.update(
        {
            INCIDENT + "subject.txt": "Incident subject",
            INCIDENT + "body.html": body_html,
            INCIDENT + "body.txt": body_txt,
            INCIDENT + "sms.txt": "Incident {{ code }}",
        }
    )
    return files


@pytest.mark.parametrize(
    ("body_html", "cause"),
    [
        ("{% if code %}unclosed", "template_error"),
        ("{{ cod }} typo", "template_error"),
        ("{{ code | no_such_filter }}", "template_error"),
        ("{% include 'missing.html' %}", "template_missing"),
    ],
)
def test_a_broken_reason_template_falls_back_to_its_plain_text_then_counts(
    tmp_path: Path, invoke: Invoke, captured: Captured, body_html: str, cause: str
) -> None:
    library = write_templates(tmp_path, reason_templates(body_html, "Incident text {{ code }}"))
    event = forgot_password_event({"reason": "security_incident"})

    response = invoke(event, library_override=library)["response"]

    assert response["emailMessage"] == "<p>Incident text {####}</p>"
    assert response["emailSubject"] == "Incident subject"
    (line,) = captured.lines
    assert line["fallbacks"] == [
        {"part": "body.html", "template": INCIDENT + "body.html", "cause": cause},
    ]
    assert line[TEMPLATE_FALLBACK] == 1
    assert line[MESSAGE_RENDERED] == 1
    assert line["level"] == "WARNING"


def test_a_reason_broken_in_both_variants_falls_back_to_the_generic_message(
    tmp_path: Path, invoke: Invoke, captured: Captured
) -> None:
    library = write_templates(tmp_path, reason_templates("{% broken", "{{ also broken"))
    response = invoke(forgot_password_event({"reason": "security_incident"}), library_override=library)["response"]

    assert response["emailMessage"].startswith("{####}hhh")
    assert captured.metric(TEMPLATE_FALLBACK) == 2


def test_a_known_reason_missing_in_a_locale_is_counted(tmp_path: Path, invoke: Invoke, captured: Captured) -> None:
    library = write_templates(tmp_path, sized_templates())  # no security_incident directory
    response = invoke(forgot_password_event({"reason": "security_incident"}), library_override=library)["response"]

    assert response["smsMessage"].startswith(CODE_PLACEHOLDER)
    line: dict[str, Any] = captured.lines[0]
    assert line["fallbacks"] == [
        {"part": "all", "template": "en/forgot_password/security_incident/", "cause": "variant_missing"}
    ]
    assert line[TEMPLATE_FALLBACK] == 1


def test_every_part_broken_means_cognito_defaults_and_every_step_counted(
    tmp_path: Path, invoke: Invoke, captured: Captured
) -> None:
    broken = {GENERIC + name: "{% oops" for name in ("subject.txt", "body.html", "body.txt", "sms.txt")}
    library = write_templates(tmp_path, broken)
    event = forgot_password_event(None)

    response = invoke(event, library_override=library)["response"]

    assert response == {"emailSubject": None, "emailMessage": None, "smsMessage": None}
    line = captured.lines[0]
    assert line["message"] == "Cognito's default messages will be sent"
    assert line[TEMPLATE_FALLBACK] == 3  # body.html, body.txt, sms (no subject without a body)
    assert line[MESSAGE_RENDERED] == 0
