"""The shipped templates and brands: every combination renders cleanly, and what the bundle's build compiles is what
production loads."""

from __future__ import annotations

import itertools
import json
import os
import pickle
import sys
from pathlib import Path

import pytest
from jinja2.bccache import bc_magic

from contracts.client_metadata import ResetMetadata
from contracts.cognito import (
    ADMINISTRATOR_CLIENT_ID,
    CODE_PLACEHOLDER,
    CONFIRM_WITH_CODE,
    CONFIRM_WITH_LINK,
    DEVELOPER,
    EMAIL_MESSAGE_LIMIT,
    EMAIL_SUBJECT_LIMIT,
    FORGOT_PASSWORD,
    SMS_MESSAGE_LIMIT,
)
from custom_message.brands import BRANDS_FILE, BrandBook, load_brand_book
from custom_message.event import MessageRequest
from custom_message.messages import MESSAGE_KINDS, compose_messages, message_context
from custom_message.settings import Settings
from custom_message.templates import BYTECODE_SUFFIX, COMPILED_DIR, VARIANTS_FILE, TemplateKey, TemplateLibrary
from infra.template_compilation import compile_templates, template_names
from tests.unit.custom_message.conftest import LINK_HOST

# The end of Jinja2's bytecode magic: the Python version that wrote the code, as Jinja2 pickles it.
PYTHON_VERSION_PICKLE = pickle.dumps((sys.version_info[0] << 24) | sys.version_info[1], 2)
SHIPPED_LIBRARY = TemplateLibrary()
SHIPPED_BRANDS = load_brand_book()
APP_CLIENT_ID = "4ns1ll0l2q9c5bdbm7l4t9r3qk"
LINK_PARAMETER = "{##Click Here##}"
COMBINATIONS = sorted(itertools.product(sorted(SHIPPED_BRANDS.brands), sorted(SHIPPED_LIBRARY.variants())))
# What every locale ships, whatever else it has: the administrator's four reasons, the user's own reset, the welcome.
REQUIRED_MESSAGES = (
    ("forgot_password", "admin_request"),
    ("forgot_password", "security_incident"),
    ("forgot_password", "policy_rotation"),
    ("forgot_password", "account_recovery"),
    ("forgot_password_self_service", "default"),
    ("admin_create_user", "welcome"),
)


def locale_directories(root: str) -> list[str]:
    """Every locale on disk (a directory holding a layout.html), read from the directory rather than from a list, and
    whatever the library makes of its name."""
    with os.scandir(root) as entries:
        return sorted(e.name for e in entries if e.is_dir() and os.path.isfile(os.path.join(e.path, "layout.html")))


def test_the_shipped_set_is_complete() -> None:
    variants = SHIPPED_LIBRARY.variants()
    on_disk = locale_directories(SHIPPED_LIBRARY.root)
    assert {"en", "de"} <= set(on_disk)
    for locale in on_disk:
        # Locale tags are case-insensitive (pt-BR, pt-br): the library may key a directory either way, but must see it.
        served = {(key.message, key.variant) for key in variants if key.locale.lower() == locale.lower()}
        assert served, f"{locale}/ is on disk but the template library does not see it"
        assert [m for m in REQUIRED_MESSAGES if m not in served] == [], f"{locale}/ is incomplete"
    assert {"default", "acme"} <= set(SHIPPED_BRANDS.brands)
    # Every variant directory has all four parts: a missing one would only show up as a fallback in production.
    for key in variants:
        for part in ("subject.txt", "body.html", "body.txt", "sms.txt"):
            assert os.path.isfile(os.path.join(SHIPPED_LIBRARY.root, key.locale, key.message, key.variant, part))


@pytest.mark.parametrize(("brand", "key"), COMBINATIONS, ids=[f"{b}-{'/'.join(k)}" for b, k in COMBINATIONS])
# "link+reference+name": everything a message can carry, Cognito's link placeholder in a pool that confirms with a link
# included; "bare": none of it, in a pool that confirms with a code.
@pytest.mark.parametrize("with_extras", [True, False], ids=["link+reference+name", "bare"])
def test_every_template_renders_for_every_brand_locale_and_reason(
    brand: str, key: TemplateKey, with_extras: bool
) -> None:
    kind = MESSAGE_KINDS[key.message]
    request = MessageRequest(
        trigger_source=kind.trigger_source,
        client_id=ADMINISTRATOR_CLIENT_ID if kind.from_administrator else APP_CLIENT_ID,
        code_parameter=CODE_PLACEHOLDER,
        username_parameter="{username}" if kind.needs_username else None,
        link_parameter=LINK_PARAMETER if with_extras else None,
        user_name="alice",
        user_attributes={"given_name": "Alice"} if with_extras else {},
        metadata=ResetMetadata(
            reason=key.variant,
            locale=key.locale,
            brand=brand,
            reference="SEC-4211" if with_extras else None,
            link=f"https://{LINK_HOST}/password" if with_extras else None,
        ),
    )
    settings = Settings(
        allowed_link_hosts=frozenset({LINK_HOST}),
        email_sending_account=DEVELOPER,
        email_verification_option=CONFIRM_WITH_LINK if with_extras else CONFIRM_WITH_CODE,
    )

    result = compose_messages(request, library=SHIPPED_LIBRARY, brands=SHIPPED_BRANDS, settings=settings)

    assert result.fallbacks == ()
    assert (result.locale, result.variant, result.brand, result.email_variant) == (
        key.locale,
        key.variant,
        brand,
        "html",
    )
    required = [CODE_PLACEHOLDER, "{username}"] if kind.needs_username else [CODE_PLACEHOLDER]
    # Cognito's link placeholder belongs in a sign-up confirmation's e-mail, never in an SMS.
    email_required = [*required, LINK_PARAMETER] if kind.takes_link_parameter and with_extras else required
    for text, limit, placeholders in (
        (result.email_message, EMAIL_MESSAGE_LIMIT, email_required),
        (result.sms_message, SMS_MESSAGE_LIMIT, required),
    ):
        assert text is not None
        assert len(text) <= limit
        assert all(placeholder in text for placeholder in placeholders)
    assert LINK_PARAMETER not in (result.sms_message or "")
    assert result.email_subject is not None
    assert 0 < len(result.email_subject) <= EMAIL_SUBJECT_LIMIT
    html = result.email_message or ""
    assert SHIPPED_BRANDS.brands[brand].name in html
    assert ("SEC-4211" in html) is with_extras
    # A ClientMetadata link only where the message takes one; the others link only where Cognito provides the link.
    assert (f"https://{LINK_HOST}/password?" in html) is (with_extras and kind.takes_link)
    # The plain-text variant (the first fallback) must hold up on its own too.
    brand_config = SHIPPED_BRANDS.choose(brand, "default")
    context = message_context(request, kind=kind, key=key, brand=brand_config, settings=settings)
    text = SHIPPED_LIBRARY.render(key, "body.txt", context)
    assert all(placeholder in text for placeholder in email_required)
    assert "<" not in text.replace("<p>", "")


def test_no_compiled_copy_lives_beside_the_sources() -> None:
    """Generated files belong to the build: the bundle gets them, the repository and local runs do not."""
    assert not os.path.exists(COMPILED_DIR)
    library = TemplateLibrary()
    library.render(TemplateKey("en", "forgot_password", "admin_request"), "sms", message_context_for_sms())
    assert library.precompiled is not None
    assert library.precompiled.hits == []


def message_context_for_sms() -> dict[str, object]:
    return {"code": CODE_PLACEHOLDER, "brand": SHIPPED_BRANDS.brands["default"], "given_name": None}


def compose_a_reset(library: TemplateLibrary) -> str | None:
    """The administrator's reset e-mail, as the trigger composes it with this library; its HTML body."""
    request = MessageRequest(
        trigger_source=FORGOT_PASSWORD,
        code_parameter=CODE_PLACEHOLDER,
        client_id=ADMINISTRATOR_CLIENT_ID,
    )
    result = compose_messages(
        request, library=library, brands=SHIPPED_BRANDS, settings=Settings(email_sending_account=DEVELOPER)
    )
    return result.email_message


@pytest.mark.parametrize("bytecode", [False, True], ids=["source only", "with bytecode"])
def test_what_the_build_compiles_is_what_production_loads(tmp_path: Path, bytecode: bool) -> None:
    compiled = tmp_path / "compiled_templates"
    written = compile_templates(compiled, bytecode=bytecode)
    library = TemplateLibrary(compiled=str(compiled))
    message = compose_a_reset(library)

    assert message == compose_a_reset(TemplateLibrary(compiled=None))
    assert written == len(template_names(library))
    # The variant directories come from the build's listing: one file, however many locales ship.
    assert (compiled / VARIANTS_FILE).read_text().splitlines() == [
        f"{key.locale}/{key.message}/{key.variant}" for key in sorted(TemplateLibrary(compiled=None).variants())
    ]
    assert library.variants() == TemplateLibrary(compiled=None).variants()
    assert library.precompiled is not None
    assert len(library.precompiled.hits) == 5  # shared layout, en layout, body.html, subject, sms
    assert library.precompiled.misses == []
    # Built on the Python that runs it, the code is loaded as it was compiled, not compiled again.
    assert library.precompiled.bytecode_hits == (library.precompiled.hits if bytecode else [])


def test_bytecode_for_another_python_is_passed_over_for_the_generated_source(tmp_path: Path) -> None:
    compiled = tmp_path / "compiled_templates"
    compile_templates(compiled, bytecode=True)
    for path in compiled.glob(f"*{BYTECODE_SUFFIX}"):
        header, _, body = path.read_bytes().partition(b"\n")
        # Jinja2's magic ends with the Python version that wrote the code: as a build on Python 2.7 would have it.
        other_python = body.replace(bc_magic, bc_magic[: -len(PYTHON_VERSION_PICKLE)] + pickle.dumps((2 << 24) | 7, 2))
        path.write_bytes(header + b"\n" + other_python)
    library = TemplateLibrary(compiled=str(compiled))

    assert compose_a_reset(library) == compose_a_reset(TemplateLibrary(compiled=None))
    assert library.precompiled is not None
    assert library.precompiled.bytecode_hits == []
    assert len(library.precompiled.hits) == 5


def test_an_edited_template_is_never_shadowed_by_its_stale_precompiled_copy(tmp_path: Path) -> None:
    root = tmp_path / "templates"
    compiled = tmp_path / "compiled"
    sms = root / "en" / "forgot_password" / "admin_request" / "sms.txt"
    sms.parent.mkdir(parents=True)
    sms.write_text("Old {{ code }}", encoding="utf-8")
    compile_templates(compiled, templates=str(root), bytecode=True)
    sms.write_text("New {{ code }}", encoding="utf-8")

    library = TemplateLibrary(str(root), compiled=str(compiled))
    rendered = library.render(TemplateKey("en", "forgot_password", "admin_request"), "sms", {"code": CODE_PLACEHOLDER})

    assert rendered == "New {####}"
    assert library.precompiled is not None
    assert len(library.precompiled.misses) == 1
    assert library.precompiled.bytecode_hits == []


def test_the_shipped_brand_file_is_valid() -> None:
    assert SHIPPED_BRANDS.problems == ()
    assert json.loads(Path(BRANDS_FILE).read_text(encoding="utf-8"))["brands"]["default"]["name"]


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ({"name": "X", "primary_colour": "red;background:url(https://evil)"}, "primary_colour: must be a #rgb"),
        ({"name": "X", "accent_colour": "#12345g"}, "accent_colour: must be a #rgb"),
        ({"name": "X", "logo_url": "http://insecure.example/logo.png"}, "logo_url: must be an https:// URL"),
        ({"name": "X", "logo_url": 'https://x.example/"onerror="alert(1)'}, "logo_url: must be an https:// URL"),
        ({"name": "X", "support_email": "not-an-address"}, "support_email: must be an e-mail address"),
        ({"name": ""}, "name: required"),
        ({"name": "X", "colour": "#fff"}, "unknown keys colour"),
        ("not an object", "must be an object"),
    ],
)
def test_an_invalid_brand_is_left_out_with_a_reason(tmp_path: Path, entry: object, problem: str) -> None:
    path = tmp_path / "brands.json"
    path.write_text(json.dumps({"brands": {"default": {"name": "Fine"}, "bad": entry}}), encoding="utf-8")

    book = load_brand_book(path)

    assert set(book.brands) == {"default"}
    assert len(book.problems) == 1
    assert problem in book.problems[0]
    assert book.choose("bad", "default").name == "Fine"


@pytest.mark.parametrize("content", ["{not json", '["a list"]', '{"brands": []}'])
def test_an_unreadable_brand_file_leaves_the_built_in_brand(tmp_path: Path, content: str) -> None:
    path = tmp_path / "brands.json"
    path.write_text(content, encoding="utf-8")

    book = load_brand_book(path)

    assert book.brands == {}
    assert book.problems
    assert book.choose("acme", "default").name == "Account security"
    assert load_brand_book(tmp_path / "missing.json").choose(None, "default").id == "default"


def test_brand_book_ids_must_be_well_formed(tmp_path: Path) -> None:
    path = tmp_path / "brands.json"
    path.write_text(json.dumps({"brands": {"Bad Id": {"name": "X"}}}), encoding="utf-8")

    assert load_brand_book(path) == BrandBook(
        brands={}, problems=("brands.Bad Id: the id must be a lower-case brand id such as 'acme'",)
    )
