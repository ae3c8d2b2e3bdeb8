"""The message catalog: what the stack publishes about its messages, and the CLI's judgement of an operator's values."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from contracts.client_metadata import KNOWN_REASONS
from custom_message.messages import choose_locale
from custom_message.templates import TEMPLATES_DIR
from message_tooling.catalog import (
    BUILT_IN,
    OUTPUT_VALUE_BUDGET,
    MessageCatalog,
    MessageCatalogError,
    catalog_of,
)
from message_tooling.message_pack import merged_and_checked

SHIPPED_LOCALES = ("de", "en", "es", "fr", "it", "ja", "nl", "pt-BR")


def catalog(
    *,
    reasons: tuple[str, ...] = tuple(sorted(KNOWN_REASONS)),
    brands: tuple[str, ...] = ("acme", "default"),
    locales: tuple[str, ...] = SHIPPED_LOCALES,
    default_locale: str = "en",
    default_brand: str | None = None,
) -> MessageCatalog:
    return MessageCatalog(reasons, brands, locales, default_locale, default_brand)


def test_the_built_in_catalog_is_what_the_templates_and_brands_hold() -> None:
    built_in = catalog_of(BUILT_IN, "en", None)

    assert built_in == catalog()
    # As on disk, read independently of the library: every shipped locale has every reason of the reset.
    on_disk = sorted(path.name for path in Path(TEMPLATES_DIR).iterdir() if path.is_dir())
    assert list(built_in.locales) == on_disk
    for locale in on_disk:
        reset = Path(TEMPLATES_DIR) / locale / "forgot_password"
        assert sorted(path.name for path in reset.iterdir()) == list(built_in.reasons)


def test_the_built_in_catalog_is_well_under_the_output_budget() -> None:
    output = catalog_of(BUILT_IN, "pt-BR", "acme").to_output()

    assert len(output.encode("utf-8")) < OUTPUT_VALUE_BUDGET / 10


def test_a_catalog_over_the_budget_is_refused_rather_than_published_cut_short() -> None:
    crowded = catalog(brands=tuple(f"brand-{number:04}" for number in range(400)))

    with pytest.raises(MessageCatalogError, match=r"over the 4096"):
        crowded.to_output()


def test_a_pack_s_reasons_brands_and_locales_show_up(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    built_in = Path(TEMPLATES_DIR)
    # A reason of the pack's own, in English only; a locale with the reset's generic variant; a locale with no reset.
    shutil.copytree(built_in / "en/forgot_password/security_incident", pack / "en/forgot_password/vendor_breach")
    shutil.copytree(built_in / "en/forgot_password/admin_request", pack / "sv/forgot_password/admin_request")
    shutil.copyfile(built_in / "en/layout.html", pack / "sv/layout.html")
    shutil.copytree(built_in / "en/sign_up/default", pack / "fi/sign_up/default")
    shutil.copyfile(built_in / "en/layout.html", pack / "fi/layout.html")
    (pack / "brands.json").write_text(json.dumps({"brands": {"initech": {"name": "Initech"}}}), encoding="utf-8")

    merged = catalog_of(merged_and_checked(pack, tmp_path / "merged"), "sv", "initech")

    assert merged.reasons == (*sorted(KNOWN_REASONS), "vendor_breach")
    assert merged.brands == ("acme", "default", "initech")
    assert merged.locales == tuple(sorted((*SHIPPED_LOCALES, "sv")))  # fi has no reset message: not a reset locale
    assert (merged.default_locale, merged.default_brand) == ("sv", "initech")
    assert merged.reason_problem("vendor_breach") is None
    assert merged.brand_problem("initech") is None


def test_the_output_round_trips() -> None:
    for original in (catalog(), catalog(default_locale="de-AT", default_brand="acme", reasons=())):
        output = original.to_output()

        assert MessageCatalog.from_output(output) == original
        assert " " not in output  # compact: no indentation, no space after a separator
        assert list(json.loads(output)) == sorted(json.loads(output))


def test_a_newer_stack_s_extra_keys_are_passed_over() -> None:
    published = {**json.loads(catalog().to_output()), "generic_reason": "admin_request"}

    assert MessageCatalog.from_output(json.dumps(published)) == catalog()


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("", "not JSON"),
        ("{'reasons': []}", "not JSON"),
        ('["admin_request"]', "not a JSON object"),
        ("null", "not a JSON object"),
        ('{"reasons": [], "brands": [], "locales": []}', "missing default_locale, default_brand"),
        ('{"reasons": "admin_request", "brands": [], "locales": [], "default_locale": "en", "default_brand": null}',
         "reasons must be a list"),
        ('{"reasons": [1], "brands": [], "locales": [], "default_locale": "en", "default_brand": null}',
         "reasons holds a value of the wrong shape"),
        ('{"reasons": ["Admin Request"], "brands": [], "locales": [], "default_locale": "en", "default_brand": null}',
         "reasons holds a value of the wrong shape"),
        ('{"reasons": [], "brands": ["ACME"], "locales": [], "default_locale": "en", "default_brand": null}',
         "brands holds a value of the wrong shape"),
        ('{"reasons": [], "brands": [], "locales": ["de/AT"], "default_locale": "en", "default_brand": null}',
         "locales holds a value of the wrong shape"),
        ('{"reasons": [], "brands": [], "locales": [], "default_locale": null, "default_brand": null}',
         "default_locale holds a value of the wrong shape"),
        ('{"reasons": [], "brands": [], "locales": [], "default_locale": "en", "default_brand": 7}',
         "default_brand holds a value of the wrong shape"),
    ],
)  # fmt: skip
def test_malformed_output_is_refused_naming_the_field(text: str, complaint: str) -> None:
    with pytest.raises(MessageCatalogError, match=complaint):
        MessageCatalog.from_output(text)
    assert issubclass(MessageCatalogError, ValueError)


def test_a_known_reason_or_brand_has_no_problem() -> None:
    for reason in KNOWN_REASONS:
        assert catalog().reason_problem(reason) is None
    assert catalog().brand_problem("acme") is None


def test_an_unknown_reason_names_the_known_ones_and_the_close_one() -> None:
    assert catalog().reason_problem("securty_incident") == (
        "reason: 'securty_incident' is not a reason the trigger knows (did you mean 'security_incident'?): users would "
        "get the generic wording (admin_request). Known reasons: account_recovery, admin_request, policy_rotation, "
        "security_incident"
    )
    far = catalog().reason_problem("vendor_breach")
    assert far is not None
    assert "did you mean" not in far
    assert far.endswith("Known reasons: account_recovery, admin_request, policy_rotation, security_incident")


def test_an_unknown_brand_says_which_brand_users_get_instead() -> None:
    assert catalog().brand_problem("acmee") == (
        "brand: 'acmee' is not a brand the trigger knows (did you mean 'acme'?): users would get the default brand "
        "(default). Known brands: acme, default"
    )
    assert "the default brand (acme)" in (catalog(default_brand="acme").brand_problem("globex") or "")
    # As BrandBook.choose: a configured default missing from the book falls back to the book's own default ...
    assert "the default brand (default)" in (catalog(default_brand="globex").brand_problem("initech") or "")
    # ... and to the built-in neutral brand where the book has no default either.
    assert "the built-in neutral brand" in (catalog(brands=("acme",)).brand_problem("initech") or "")
    assert "Known brands: none" in (catalog(brands=()).brand_problem("acme") or "")


@pytest.mark.parametrize("locale", ["de", "de-AT", "DE-at", "de_AT", "pt", "pt-BR", "pt-br", "en-GB", "ja-JP"])
def test_a_locale_with_messages_for_it_or_its_language_has_no_warning(locale: str) -> None:
    assert catalog().locale_warning(locale) is None


def test_a_locale_without_messages_says_what_users_get_instead() -> None:
    assert catalog(default_locale="de-AT").locale_warning("sv-SE") == (
        "locale: no messages for 'sv-SE' or its language: each user would get their own locale attribute's language "
        "where it has messages, else the default locale, de. Locales with messages: de, en, es, fr, it, ja, nl, pt-BR"
    )
    # Another region of a language with one regional locale is not that locale (the trigger does not guess).
    assert (catalog().locale_warning("pt-PT") or "").startswith(
        "locale: no messages for 'pt-PT' or its language (did you mean 'pt-BR'?)"
    )
    # A default without messages falls back to English, as the trigger does.
    assert "else the default locale, en." in (catalog(default_locale="sv").locale_warning("fi") or "")
    assert "else Cognito's own message." in (catalog(locales=("de",), default_locale="sv").locale_warning("fi") or "")


TAGS = [
    "de",
    "de-AT",
    "DE",
    "de_at",
    "pt",
    "pt-PT",
    "pt-BR",
    "fr-CA",
    "fr-Latn-FR",
    "en",
    "en-GB",
    "sv",
    "x!",
    "",
    "zh",
]


@pytest.mark.parametrize("locales", [("de", "fr", "pt-BR"), ("de-AT", "pt-BR", "pt-PT"), ("fr-CA",)])
@pytest.mark.parametrize("tag", TAGS)
def test_the_warning_agrees_with_how_the_trigger_chooses(locales: tuple[str, ...], tag: str) -> None:
    # The trigger's own choice for this tag alone (no user attribute; a default, and no English, with no messages):
    # a locale when the tag or its language has messages, None when it falls through.
    lowered = {locale.lower() for locale in locales}
    chosen = choose_locale(
        (tag,),
        has_messages=lambda candidate: candidate.lower() in lowered,
        default="zz",
        regional_locales=lambda language: [locale for locale in locales if locale.lower().startswith(language + "-")],
    )

    assert (catalog(locales=locales).locale_warning(tag) is None) == (chosen is not None)
