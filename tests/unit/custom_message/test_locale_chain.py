"""The locale chain over a template tree of the test's own: a bare language finds its only regional locale
(pt -> pt-br); otherwise the chain is as it was (de-AT -> de -> the user's locale -> DEFAULT_LOCALE -> en)."""

from __future__ import annotations

from pathlib import Path

import pytest

from contracts.client_metadata import ResetMetadata
from contracts.cognito import CODE_PLACEHOLDER, SIGN_UP
from custom_message.brands import BrandBook
from custom_message.event import MessageRequest
from custom_message.messages import choose_locale, compose_messages, regional_locales
from custom_message.settings import Settings
from custom_message.templates import TemplateLibrary
from tests.unit.custom_message.conftest import write_templates


def sign_up_files(locale: str) -> dict[str, str]:
    """A sign-up message in ``locale`` that says which locale it is in every part."""
    directory = f"{locale}/sign_up/default/"
    return {
        directory + "subject.txt": f"{locale} subject",
        directory + "body.html": f"{locale} {{{{ code }}}}",
        directory + "body.txt": f"{locale} {{{{ code }}}}",
        directory + "sms.txt": f"{locale} {{{{ code }}}}",
    }


def tree(tmp_path: Path, *locales: str, others: tuple[str, ...] = ()) -> TemplateLibrary:
    """English and the given locales with a sign-up message; ``others`` hold a different message only."""
    files = sign_up_files("en")
    for locale in locales:
        files |= sign_up_files(locale)
    for locale in others:
        files[f"{locale}/forgot_password/admin_request/sms.txt"] = "{{ code }}"
    return write_templates(tmp_path, files)


def sign_up_locale(
    library: TemplateLibrary,
    brands: BrandBook,
    settings: Settings,
    *,
    requested: str | None = None,
    attribute: str | None = None,
) -> str | None:
    request = MessageRequest(
        trigger_source=SIGN_UP,
        code_parameter=CODE_PLACEHOLDER,
        client_id="4ns1ll0l2q9c5bdbm7l4t9r3qk",
        user_attributes={"locale": attribute} if attribute else {},
        metadata=ResetMetadata(locale=requested),
    )
    result = compose_messages(request, library=library, brands=brands, settings=settings)
    assert result.sms_message == f"{result.locale} {CODE_PLACEHOLDER}"  # the message really is in that locale
    return result.locale


@pytest.mark.parametrize(
    ("requested", "attribute", "expected"),
    [
        ("pt", None, "pt-br"),
        ("PT", None, "pt-br"),
        ("pt-BR", None, "pt-br"),
        ("pt_BR", None, "pt-br"),
        (None, "pt", "pt-br"),
        ("xx", "pt", "pt-br"),
        ("pt", "de", "pt-br"),
        # Not a bare language: today's chain, which does not guess one region for another.
        ("pt-PT", None, "en"),
        ("pt-PT", "de", "de"),
        # Unchanged: a region falls back to its language, then the user's attribute, then the default.
        ("de-AT", None, "de"),
        ("de", None, "de"),
        ("fr-CA", "de-CH", "de"),
        ("fr", None, "en"),
        (None, None, "en"),
    ],
)
def test_a_bare_language_finds_its_only_regional_locale(
    tmp_path: Path,
    brands: BrandBook,
    settings: Settings,
    requested: str | None,
    attribute: str | None,
    expected: str,
) -> None:
    library = tree(tmp_path, "pt-br", "de")

    assert sign_up_locale(library, brands, settings, requested=requested, attribute=attribute) == expected


def test_the_default_locale_may_be_a_bare_language_too(tmp_path: Path, brands: BrandBook, settings: Settings) -> None:
    library = tree(tmp_path, "pt-br")

    assert sign_up_locale(library, brands, settings._replace(default_locale="pt")) == "pt-br"
    assert sign_up_locale(library, brands, settings._replace(default_locale="pt-PT")) == "en"


def test_two_regional_locales_of_one_language_are_never_guessed_between(
    tmp_path: Path, brands: BrandBook, settings: Settings
) -> None:
    library = tree(tmp_path, "pt-br", "pt-pt")

    assert sign_up_locale(library, brands, settings, requested="pt") == "en"
    assert sign_up_locale(library, brands, settings, requested="pt-PT") == "pt-pt"
    assert sign_up_locale(library, brands, settings, requested="pt", attribute="pt-BR") == "pt-br"


def test_a_second_regional_locale_counts_even_without_this_message(
    tmp_path: Path, brands: BrandBook, settings: Settings
) -> None:
    # pt-pt has begun (it holds another message): "pt" is no longer only Brazilian, whichever message is asked for.
    library = tree(tmp_path, "pt-br", others=("pt-pt",))

    assert sign_up_locale(library, brands, settings, requested="pt") == "en"


def test_the_language_itself_comes_before_any_region(tmp_path: Path, brands: BrandBook, settings: Settings) -> None:
    library = tree(tmp_path, "pt", "pt-br")

    assert sign_up_locale(library, brands, settings, requested="pt") == "pt"
    assert sign_up_locale(library, brands, settings, requested="pt-BR") == "pt-br"
    assert sign_up_locale(library, brands, settings, requested="pt-AO") == "pt"


def test_a_regional_locale_without_this_message_is_passed_over(
    tmp_path: Path, brands: BrandBook, settings: Settings
) -> None:
    library = tree(tmp_path, others=("pt-br",))  # pt-br has only the administrator's reset so far

    assert sign_up_locale(library, brands, settings, requested="pt") == "en"


def test_regional_locales_are_the_trees_own_directories(tmp_path: Path) -> None:
    library = tree(tmp_path, "pt-br", "zh-hant-tw", "de", others=("pt-pt", "ptx"))

    assert regional_locales(library, "pt") == ["pt-br", "pt-pt"]
    assert regional_locales(library, "zh") == ["zh-hant-tw"]
    assert regional_locales(library, "de") == []
    assert regional_locales(library, "en") == []


def test_choose_locale_on_its_own() -> None:
    available = {"en", "pt-br", "de"}

    def choose(*requested: str | None, default: str = "en") -> str | None:
        return choose_locale(
            requested,
            has_messages=available.__contains__,
            default=default,
            regional_locales=lambda language: sorted(a for a in available if a.startswith(language + "-")),
        )

    assert choose("pt") == "pt-br"
    assert choose("pt-PT") == "en"
    assert choose("de-AT") == "de"
    assert choose(None, "pt", default="de") == "pt-br"
    assert choose("junk!", default="pt") == "pt-br"
    # Without a way to list regions (the parameter's default), a bare language finds only itself.
    assert choose_locale(["pt"], has_messages=available.__contains__, default="en") == "en"
    assert choose_locale(["pt"], has_messages=lambda _tag: False, default="en") is None


@pytest.mark.parametrize("requested", ["pt", "pt-BR", "pt-br", "pt_BR"])
def test_a_locale_directory_spelt_with_its_region_in_capitals_is_found_whatever_the_case_asked(
    tmp_path: Path, brands: BrandBook, settings: Settings, requested: str
) -> None:
    library = tree(tmp_path, "pt-BR")

    assert sign_up_locale(library, brands, settings, requested=requested) == "pt-BR"
    assert library.locale_directory("PT-br") == "pt-BR"
