"""Message packs: a deployer's files over the built-in ones, and the check that stops a broken pack at synth."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from contracts.client_metadata import ResetMetadata
from contracts.cognito import ADMINISTRATOR_CLIENT_ID, CODE_PLACEHOLDER, DEVELOPER, FORGOT_PASSWORD
from custom_message.brands import load_brand_book
from custom_message.event import MessageRequest
from custom_message.messages import compose_messages
from custom_message.settings import Settings
from custom_message.templates import TEMPLATES_DIR, TemplateLibrary
from message_tooling.message_pack import (
    Deployment,
    MessagePackError,
    check,
    local_logos,
    merge,
    merged_and_checked,
)

EXAMPLE_PACK = Path(__file__).resolve().parents[3] / "examples" / "message-pack"


def write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def reset_sms(merged_dir: Path, *, locale: str, brand: str, reason: str = "security_incident") -> str | None:
    """The SMS an administrator's reset sends with the merged messages in `merged_dir`."""
    book = load_brand_book(merged_dir / "brands.json")
    composed = compose_messages(
        MessageRequest(
            trigger_source=FORGOT_PASSWORD,
            code_parameter=CODE_PLACEHOLDER,
            client_id=ADMINISTRATOR_CLIENT_ID,
            metadata=ResetMetadata(reason=reason, locale=locale, brand=brand),
        ),
        library=TemplateLibrary(str(merged_dir / "templates"), compiled=None),
        brands=book,
        settings=Settings(email_sending_account=DEVELOPER),
    )
    return composed.sms_message


def test_the_built_in_messages_pass_the_check(tmp_path: Path) -> None:
    assert check(merge(None, tmp_path)) == []


def test_the_example_pack_passes_and_its_wording_and_brand_are_what_users_get(tmp_path: Path) -> None:
    merged = merged_and_checked(EXAMPLE_PACK, tmp_path)

    sms = reset_sms(tmp_path, locale="en", brand="globex")
    assert sms == "Globex: we reset your password after a security incident. Code {####}, valid 1 hour."
    # Only the files the pack has are replaced: another reason keeps the built-in wording, for every brand.
    built_in = (Path(TEMPLATES_DIR) / "en" / "forgot_password" / "policy_rotation" / "sms.txt").read_text()
    assert (merged.templates / "en" / "forgot_password" / "policy_rotation" / "sms.txt").read_text() == built_in
    # Brands are merged by id: the built-in ones stay beside the pack's, logos too.
    book = load_brand_book(merged.brands)
    assert set(book.brands) >= {"default", "acme", "globex"}
    assert book.problems == ()
    assert {path.name for path in local_logos(book, merged.logo_root).values()} == {"acme.svg", "globex.svg"}


def test_a_pack_may_add_a_locale_and_a_reason(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    for part, text in {
        "subject.txt": "Nytt lösenord för {{ brand.name }}",
        "body.txt": "Din kod: {{ code }}",
        "body.html": "{% extends layout %}{% block heading %}Nytt lösenord{% endblock %}",
        "sms.txt": "{{ brand.name }}: din kod är {{ code }}.",
    }.items():
        write(pack, f"sv/forgot_password/admin_request/{part}", text)
        write(pack, f"en/forgot_password/vendor_breach/{part}", text.replace("din kod", "your code"))
    write(pack, "sv/layout.html", (Path(TEMPLATES_DIR) / "en" / "layout.html").read_text(encoding="utf-8"))

    merged = merged_and_checked(pack, tmp_path / "merged")

    assert (merged.templates / "sv" / "forgot_password" / "admin_request" / "sms.txt").is_file()
    assert reset_sms(tmp_path / "merged", locale="sv-SE", brand="acme", reason="admin_request") == (
        "ACME Industries: din kod är {####}."
    )
    assert reset_sms(tmp_path / "merged", locale="en", brand="acme", reason="vendor_breach") == (
        "ACME Industries: your code är {####}."
    )


def test_the_check_names_each_file_that_would_not_reach_a_user(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    write(pack, "de/forgot_password/security_incident/sms.txt", "Ihr Passwort wurde zurückgesetzt.")  # no code
    write(pack, "en/forgot_password/policy_rotation/sms.txt", "{{ brand.slogan }} {{ code }}")  # no such variable
    write(pack, "en/forgot_password/admin_request/subject.txt", "x" * 141)  # over Cognito's 140 characters
    write(pack, "en/newsletter/default/sms.txt", "{{ code }}")  # not a message Cognito sends
    write(pack, "en/forgot_password/vendor-breach/sms.txt", "{{ code }}")  # no request can name this reason

    with pytest.raises(MessagePackError) as raised:
        merged_and_checked(pack, tmp_path / "merged")

    message = str(raised.value)
    assert "de/forgot_password/security_incident/sms.txt: does not contain the code" in message
    assert "en/forgot_password/policy_rotation/sms.txt: does not render" in message
    assert "en/forgot_password/admin_request/subject.txt: longer than Cognito accepts" in message
    assert "en/newsletter: not a message Cognito sends" in message
    assert "en/forgot_password/vendor-breach: a reason is a lower-case identifier" in message


def test_the_plain_text_body_is_checked_though_only_sent_when_the_html_one_fails(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    write(pack, "en/forgot_password/security_incident/body.txt", "Your password was reset.")  # no code
    write(pack, "de/forgot_password/policy_rotation/body.txt", "{{ brand.slogan }} {{ code }}")  # no such variable

    with pytest.raises(MessagePackError) as raised:
        merged_and_checked(pack, tmp_path / "merged")

    message = str(raised.value)
    assert "en/forgot_password/security_incident/body.txt: does not contain the code" in message
    assert "de/forgot_password/policy_rotation/body.txt: does not render" in message
    # The HTML bodies beside them are fine, and are not blamed.
    assert "body.html" not in message


def test_a_value_the_message_can_lack_printed_outside_an_if_is_caught(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    write(pack, "en/forgot_password/admin_request/sms.txt", "Hello {{ given_name }}, code {{ code }}")
    # Cognito's link placeholder exists only where the pool confirms with a link; elsewhere it would print as blank.
    write(pack, "de/sign_up/default/body.txt", "Ihr Code: {{ code }}. {{ link_parameter }}")
    write(pack, "fr/sign_up/default/sms.txt", "{% if given_name %}Bonjour {{ given_name }}. {% endif %}Code {{ code }}")
    # Cognito's username placeholder comes with the welcome only.
    write(pack, "it/forgot_password/policy_rotation/sms.txt", "{{ username }}: codice {{ code }}")
    write(pack, "it/admin_create_user/welcome/sms.txt", "{{ username }}: password {{ code }}")

    with pytest.raises(MessagePackError) as raised:
        merged_and_checked(pack, tmp_path / "merged")

    message = str(raised.value)
    assert "en/forgot_password/admin_request/sms.txt: prints a value this message can lack" in message
    assert "de/sign_up/default/body.txt: prints a value this message can lack" in message
    assert "it/forgot_password/policy_rotation/sms.txt: prints a value this message can lack" in message
    assert "fr/sign_up" not in message  # guarded: fine
    assert "it/admin_create_user" not in message  # the welcome always has it


def test_in_production_a_value_the_message_lacks_prints_as_nothing(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    write(pack, "en/forgot_password/admin_request/sms.txt", "Hello {{ given_name }}, code {{ code }}")
    merge(pack, tmp_path / "merged")

    assert reset_sms(tmp_path / "merged", locale="en", brand="acme", reason="admin_request") == "Hello , code {####}"


def test_a_sign_up_e_mail_is_checked_for_a_pool_of_either_verification_option(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    # Fine where the pool confirms with a code; where it confirms with a link, Cognito's placeholder is missing.
    write(pack, "en/sign_up/default/body.html", "<p>Your code: {{ code }}</p>")
    write(pack, "en/sign_up/default/body.txt", "Your code: {{ code }}")
    # Fine where the pool confirms with a link; where it confirms with a code there is no placeholder to work on.
    write(pack, "en/resend_code/default/body.html", "<p>{{ code }} {{ link_parameter.strip() }}</p>")

    with pytest.raises(MessagePackError) as raised:
        merged_and_checked(pack, tmp_path / "merged")

    message = str(raised.value)
    assert "en/sign_up/default/body.html: does not contain the code (or the username or link" in message
    assert "en/sign_up/default/body.txt: does not contain the code (or the username or link" in message
    assert "en/resend_code/default/body.html: does not render" in message


def test_a_brand_name_too_long_for_the_sms_is_caught(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    brand = {"name": "The Very Long Brand Name of an International Holding Company Limited", "logo_url": None}
    write(pack, "brands.json", json.dumps({"brands": {"holding": brand}}))

    problems = check(merge(pack, tmp_path / "merged"))

    assert problems
    assert all("brand holding" in problem.reason for problem in problems)
    assert any(problem.file.endswith("/sms.txt") and "longer than" in problem.reason for problem in problems)


@pytest.mark.parametrize(
    ("relative", "text", "expected"),
    [
        ("notes.md", "hello", "files outside the layout"),
        ("logos/nested/logo.svg", "<svg/>", "files outside the layout"),
        ("en/forgot_password/security_incident/email.html", "x", "files outside the layout"),
        ("brands.json", "[1, 2]", "must be a JSON object"),
        ("brands.json", '{"brands": []}', 'must hold an object "brands"'),
        ("brands.json", "{not json", "not readable JSON"),
    ],
)
def test_a_pack_outside_the_layout_is_refused_naming_the_file(
    tmp_path: Path, relative: str, text: str, expected: str
) -> None:
    pack = tmp_path / "pack"
    write(pack, relative, text)
    with pytest.raises(MessagePackError, match=expected):
        merge(pack, tmp_path / "merged")


def test_a_pack_file_that_is_not_utf8_is_refused_naming_it(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    write(pack, "de/forgot_password/admin_request/subject.txt", "Ihr Passwort")
    (pack / "de" / "forgot_password" / "admin_request" / "sms.txt").write_bytes("Code für {{ code }}".encode("cp1252"))

    with pytest.raises(MessagePackError) as raised:
        merge(pack, tmp_path / "merged")

    assert str(raised.value).splitlines()[1:] == [
        "  de/forgot_password/admin_request/sms.txt: byte 0xfc at offset 6 is not UTF-8; save the file as UTF-8"
    ]


def test_a_byte_order_mark_and_windows_line_ends_from_an_editor_never_reach_the_user(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    sms = pack / "en" / "forgot_password" / "admin_request" / "sms.txt"
    sms.parent.mkdir(parents=True)
    sms.write_bytes("\ufeff{{ brand.name }}: code {{ code }}.\r\nThank you.".encode())
    (pack / "brands.json").write_bytes('\ufeff{"brands": {}}'.encode())

    merged_and_checked(pack, tmp_path / "merged")

    sent = reset_sms(tmp_path / "merged", locale="en", brand="acme", reason="admin_request")
    assert sent == "ACME Industries: code {####}.\nThank you."


def test_a_locale_directory_spelt_in_another_case_overlays_the_built_in_one(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    write(pack, "pt-br/forgot_password/admin_request/sms.txt", "{{ brand.name }}: codigo {{ code }} (pacote).")
    write(pack, "DE/forgot_password/admin_request/sms.txt", "{{ brand.name }}: Code {{ code }} (Paket).")

    merged = merged_and_checked(pack, tmp_path / "merged")

    locales = sorted(path.name for path in merged.templates.iterdir() if path.is_dir())
    assert "pt-br" not in locales
    assert "DE" not in locales
    assert {"pt-BR", "de"} <= set(locales)
    assert reset_sms(tmp_path / "merged", locale="pt-BR", brand="acme", reason="admin_request") == (
        "ACME Industries: codigo {####} (pacote)."
    )
    assert reset_sms(tmp_path / "merged", locale="de", brand="acme", reason="admin_request") == (
        "ACME Industries: Code {####} (Paket)."
    )


def test_one_locale_spelt_two_ways_in_a_pack_is_refused(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    write(pack, "de/forgot_password/admin_request/sms.txt", "{{ code }}")
    write(pack, "DE/forgot_password/policy_rotation/sms.txt", "{{ code }}")

    with pytest.raises(MessagePackError) as raised:
        merge(pack, tmp_path / "merged")

    assert "  DE/, de/: one locale spelt 2 ways; keep one directory" in str(raised.value)


@pytest.mark.parametrize(
    ("relative", "reason"),
    [
        ("pt_BR/forgot_password/admin_request/sms.txt", "pt_BR is not a locale directory"),
        ("de/Forgot_Password/admin_request/sms.txt", "message and variant directories have lower-case names"),
        ("de/forgot_password/Security Incident/sms.txt", "message and variant directories have lower-case names"),
    ],
)
def test_a_template_the_trigger_would_never_see_is_refused_naming_it(
    tmp_path: Path, relative: str, reason: str
) -> None:
    pack = tmp_path / "pack"
    write(pack, relative, "{{ code }}")

    with pytest.raises(MessagePackError) as raised:
        merge(pack, tmp_path / "merged")

    assert f"  {relative}: {reason}" in str(raised.value)


def test_a_brand_logo_file_the_pack_does_not_hold_is_caught(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    brand = {"name": "Initech", "logo_url": "https://initech.example/logo.png", "logo_file": "logos/initech.png"}
    write(pack, "brands.json", json.dumps({"brands": {"initech": brand}}))

    problems = [str(problem) for problem in check(merge(pack, tmp_path / "merged"))]

    assert problems == [
        "brands.json: brands.initech.logo_file: logos/initech.png is in neither the pack nor the built-in logos"
    ]


def test_a_missing_pack_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MessagePackError, match="is not a directory"):
        merge(tmp_path / "nowhere", tmp_path / "merged")


def test_a_logo_file_must_live_under_logos_and_its_copy_stands_in_for_the_url(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    url = "https://cdn.initech.example/logo.png"
    write(pack, "logos/initech.png", "png bytes")
    brands = {
        "initech": {"name": "Initech", "logo_url": url, "logo_file": "logos/initech.png"},
        "hooli": {"name": "Hooli", "logo_url": url, "logo_file": "../../etc/passwd"},
    }
    write(pack, "brands.json", json.dumps({"brands": brands}))

    merged = merge(pack, tmp_path / "merged")
    book = load_brand_book(merged.brands)

    assert local_logos(book, merged.logo_root)[url] == tmp_path / "merged" / "logos" / "initech.png"
    assert "hooli" not in book.brands
    assert any("brands.hooli.logo_file" in problem for problem in book.problems)


@pytest.mark.parametrize(
    ("cdk_json", "expected"),
    [
        (None, Deployment()),
        ("not json", Deployment()),
        ('{"app": "python3 app.py"}', Deployment()),
        ('{"context": {"messagePack": " ", "defaultLocale": ""}}', Deployment()),
        (
            '{"context": {"messagePack": "../acme-messages", "defaultLocale": "de-AT", "defaultBrand": "acme"}}',
            Deployment(Path("APP/../acme-messages"), "de-AT", "acme"),
        ),
        ('{"context": {"messagePack": "/srv/acme-messages"}}', Deployment(Path("/srv/acme-messages"))),
    ],
)
def test_the_deployment_is_what_cdk_json_says(tmp_path: Path, cdk_json: str | None, expected: Deployment) -> None:
    if cdk_json is not None:
        (tmp_path / "cdk.json").write_text(cdk_json, encoding="utf-8")

    found = Deployment.of(tmp_path)

    pack = expected.message_pack
    assert found == replace(expected, message_pack=Path(str(pack).replace("APP", str(tmp_path))) if pack else None)
