"""Message packs: a deployer's own wording and brands, overlaid on the built-in ones, checked before deployment.

A pack is a directory outside the product's code with the built-in layout (docs/custom-message.md, "Message packs")::

    <pack>/brands.json                               brands, merged into the built-in ones by id (a pack's wins)
    <pack>/logos/<file>                              logo copies for the preview and the local outbox (logo_file)
    <pack>/layout.html                               the shared HTML structure (optional)
    <pack>/<locale>/layout.html                      a locale's wording around every e-mail
    <pack>/<locale>/<message>/<variant>/<part>       subject.txt, body.html, body.txt, sms.txt

Every other file overlays the built-in file of the same path, file by file; a pack may add locales, reasons (variants
of the administrator's reset), brands and messages. `merge` writes the merged set; `check` renders every template x
brand x locale through the trigger's own composition (the plain-text body too, as the trigger sends it when the
HTML body fails) and names each file that would not reach a user as written (a template error, a missing code or
username placeholder, a part over Cognito's limit, a value the message can lack printed outside an ``{% if %}``), so
a broken pack stops synth instead of falling back in production.

Build-time tooling (synth, the preview, the local system): not part of the function's bundle.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from contracts.client_metadata import REASON, ResetMetadata
from contracts.cognito import (
    ADMINISTRATOR_CLIENT_ID,
    CODE_PLACEHOLDER,
    CONFIRM_WITH_CODE,
    DEVELOPER,
    EMAIL_VERIFICATION_OPTIONS,
    USERNAME_PLACEHOLDER,
)
from contracts.stack import DEFAULT_BRAND_SETTING, DEFAULT_LOCALE_SETTING, MESSAGE_PACK_SETTING, message_pack_path
from custom_message.brands import BRANDS_FILE, BrandBook, load_brand_book
from custom_message.event import MessageRequest
from custom_message.messages import MESSAGE_KINDS, MessageKind
from custom_message.rendering import render
from custom_message.settings import Settings
from custom_message.templates import (
    LOCALE_DIRECTORY,
    NAME_DIRECTORY,
    PART_FILES,
    TEMPLATES_DIR,
    TEXT_ENCODING,
    TemplateKey,
    TemplateLibrary,
)

BRANDS: Final = "brands.json"
LOGOS: Final = "logos"
# The built-in brands' logo copies (a logo_file names "logos/<file>" under this): for the preview and the local outbox
# only, where a logo_url cannot be fetched. An e-mail links its logo by URL, so the trigger's bundle holds none.
BUILT_IN_LOGO_ROOT: Final = Path(__file__).parent
TEMPLATE_SUFFIXES: Final = (".html", ".txt")
# What a pack's check hands the trigger for each message: Cognito's placeholders, and a link placeholder for the
# messages that carry one in a pool that confirms with a link (the value real events carry).
LINK_PLACEHOLDER: Final = "{##Click Here##}"
APP_CLIENT: Final = "pack-check-app-client"


class MessagePackError(ValueError):
    """A pack that cannot be used; the message names each file and what is wrong with it."""


@dataclass(frozen=True, slots=True)
class MergedSet:
    """The built-in messages with a pack over them, as files: what the trigger's bundle (and the preview, and the
    local system) loads."""

    templates: Path
    brands: Path

    @property
    def logo_root(self) -> Path:
        """What the merged brands' logo_file names are relative to: the pack's logos and the built-in ones, copied."""
        return self.brands.parent

    def library(self, *, absent_values: Literal["blank", "refuse"] = "blank") -> TemplateLibrary:
        return TemplateLibrary(str(self.templates), compiled=None, absent_values=absent_values)


@dataclass(frozen=True, slots=True)
class Problem:
    file: str  # the template's path in the merged set, such as de/forgot_password/security_incident/sms.txt
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.reason}"


def pack_files(pack: Path) -> list[Path]:
    """The pack's files, relative to it; refuses what the layout has no place for."""
    if not pack.is_dir():
        raise MessagePackError(f"messagePack: {pack} is not a directory")
    files, unexpected, faults = [], [], []
    for path in sorted(pack.rglob("*")):
        if path.is_dir() or any(part.startswith(".") for part in path.relative_to(pack).parts):
            continue
        relative = path.relative_to(pack)
        if relative.as_posix() == BRANDS or _is_template_path(relative) or _is_logo_path(relative):
            files.append(relative)
            fault = None if _is_logo_path(relative) else _misnamed(relative) or _not_utf8(path)
            if fault is not None:
                faults.append(f"{relative.as_posix()}: {fault}")
        else:
            unexpected.append(relative.as_posix())
    spellings: dict[str, set[str]] = {}
    for relative in files:
        if len(relative.parts) > 1 and not _is_logo_path(relative):
            spellings.setdefault(relative.parts[0].lower(), set()).add(relative.parts[0])
    faults.extend(
        f"{', '.join(f'{name}/' for name in sorted(names))}: one locale spelt {len(names)} ways; keep one directory"
        for names in spellings.values()
        if len(names) > 1
    )
    if unexpected:
        raise MessagePackError(
            "messagePack: files outside the layout (brands.json, logos/<file>, layout.html, <locale>/layout.html, "
            f"<locale>/<message>/<variant>/{{{','.join(PART_FILES.values())}}}): {', '.join(unexpected)}"
        )
    if faults:
        raise MessagePackError("messagePack: files the trigger could not use:\n" + "\n".join(f"  {f}" for f in faults))
    return files


def _misnamed(relative: Path) -> str | None:
    """Why the library would not see a template file where the pack puts it (it would be left out without a word)."""
    parts = relative.parts
    if len(parts) > 1 and not LOCALE_DIRECTORY.fullmatch(_spelt_with_lower_case_language(parts[0])):
        return f"{parts[0]} is not a locale directory: name it with a language tag such as de, pt-BR or de-AT"
    if len(parts) == 4 and not all(NAME_DIRECTORY.fullmatch(name) for name in parts[1:3]):
        return "message and variant directories have lower-case names, such as forgot_password/security_incident"
    return None


def _spelt_with_lower_case_language(locale: str) -> str:
    language, separator, rest = locale.partition("-")
    return language.lower() + separator + rest


def _not_utf8(path: Path) -> str | None:
    """Why a pack's text file cannot be read as the trigger reads it (UTF-8; a leading byte order mark is dropped)."""
    try:
        path.read_bytes().decode(TEXT_ENCODING)
    except UnicodeDecodeError as error:
        return f"byte 0x{error.object[error.start]:02x} at offset {error.start} is not UTF-8; save the file as UTF-8"
    return None


def _is_logo_path(relative: Path) -> bool:
    return len(relative.parts) == 2 and relative.parts[0] == LOGOS


def _is_template_path(relative: Path) -> bool:
    parts = relative.parts
    if relative.suffix not in TEMPLATE_SUFFIXES:
        return False
    if len(parts) == 1:
        return parts[0] == "layout.html"
    if len(parts) == 2:
        return parts[1] == "layout.html"
    return len(parts) == 4 and parts[3] in PART_FILES.values()


def merge(
    pack: Path | None,
    target: Path,
    *,
    templates: Path = Path(TEMPLATES_DIR),
    brands: Path = BRANDS_FILE,
    logos: bool = True,
) -> MergedSet:
    """The built-in templates and brands with `pack` (if any) over them, written under `target`; with `logos`, the
    logo copies too (for the preview and the local outbox: a function's bundle has no use for them)."""
    merged = MergedSet(templates=target / "templates", brands=target / BRANDS)
    copies = [(merged.templates, templates)] + ([(target / LOGOS, BUILT_IN_LOGO_ROOT / LOGOS)] if logos else [])
    for directory, built_in in copies:
        if directory.exists():
            shutil.rmtree(directory)
        if built_in.is_dir():
            shutil.copytree(built_in, directory)
    book = json.loads(brands.read_text(encoding="utf-8"))
    # Locale tags are case-insensitive: a pack's pt-br or DE overlays the built-in pt-BR or de, never beside it.
    on_disk = merged.templates.iterdir() if merged.templates.is_dir() else iter(())
    spellings = {entry.name.lower(): entry.name for entry in on_disk if entry.is_dir()}
    for relative in pack_files(pack) if pack is not None else []:
        source = pack / relative  # type: ignore[operator]  # pack is set whenever there are files
        if relative.as_posix() == BRANDS:
            own = _read_json(source).get("brands")
            if not isinstance(own, dict):
                raise MessagePackError(f'messagePack: {BRANDS}: must hold an object "brands" of brand id to brand')
            book["brands"] = {**book.get("brands", {}), **own}
            continue
        if _is_logo_path(relative):
            if not logos:
                continue
            destination = target / relative
        elif len(relative.parts) > 1:
            locale = _spelt_with_lower_case_language(relative.parts[0])
            destination = merged.templates / spellings.setdefault(locale.lower(), locale) / Path(*relative.parts[1:])
        else:
            destination = merged.templates / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)
    merged.brands.write_text(json.dumps(book, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return merged


def _read_json(path: Path) -> dict[str, object]:
    try:
        loaded = json.loads(path.read_text(encoding=TEXT_ENCODING))
    except (OSError, ValueError) as error:
        raise MessagePackError(f"messagePack: {path.name}: not readable JSON ({error})") from None
    if not isinstance(loaded, dict):
        raise MessagePackError(f"messagePack: {path.name}: must be a JSON object")
    return loaded


def check(merged: MergedSet) -> list[Problem]:
    """Every template x brand x locale of the merged set, rendered as the trigger renders it for Cognito."""
    # A printed value the message lacks is a problem here; in production it would print as nothing.
    library = merged.library(absent_values="refuse")
    book = load_brand_book(merged.brands)
    problems = [Problem(BRANDS, problem) for problem in book.problems]
    problems.extend(
        Problem(BRANDS, f"brands.{brand.id}.logo_file: {brand.logo_file} is in neither the pack nor the built-in logos")
        for brand in book.brands.values()
        if brand.logo_file and not (merged.logo_root / brand.logo_file).is_file()
    )
    # A pack does not know which pool it will serve: a sign-up e-mail is checked as a pool that confirms with a link
    # sends it (the link placeholder required) and as one that confirms with a code sends it (no placeholder given).
    by_option = {
        option: Settings(email_sending_account=DEVELOPER, email_verification_option=option)
        for option in EMAIL_VERIFICATION_OPTIONS
    }
    for key in sorted(library.variants()):
        kind = MESSAGE_KINDS.get(key.message)
        if kind is None:
            known = ", ".join(sorted(MESSAGE_KINDS))
            problems.append(Problem(f"{key.locale}/{key.message}", f"not a message Cognito sends (one of: {known})"))
            continue
        if kind.takes_reasons and not REASON.fullmatch(key.variant):
            problems.append(
                Problem(
                    _directory(key),
                    "a reason is a lower-case identifier (letters, digits and _, starting with a letter); "
                    "no request can name this one",
                )
            )
            continue
        if not kind.takes_reasons and key.variant != kind.generic_variant:
            problems.append(
                Problem(
                    _directory(key), f"{key.message} has one variant, {kind.generic_variant}; this one is never sent"
                )
            )
            continue
        options = EMAIL_VERIFICATION_OPTIONS if kind.takes_link_parameter else (CONFIRM_WITH_CODE,)
        for brand in sorted(book.brands):
            for option in options:
                rendering = render(_request(kind, key, brand), library=library, brands=book, settings=by_option[option])
                composed = rendering.messages
                # The plain-text body is sent only when the HTML one cannot be: its faults show in that answer.
                plain = rendering.plain_text.fallbacks
                fallbacks = [*composed.fallbacks, *(f for f in plain if f.part != "body.html")]
                problems.extend(
                    Problem(fallback.template, f"{_CAUSES.get(fallback.cause, fallback.cause)} (brand {brand})")
                    for fallback in fallbacks
                )
                if composed.locale != key.locale and not composed.fallbacks:
                    problems.append(Problem(_directory(key), f"the {kind.generic_variant} variant is missing"))
    return _first_per_file(problems)


_CAUSES: Final = {
    "template_missing": "missing",
    "template_error": "does not render (a Jinja2 error, or a variable the trigger does not provide)",
    "absent_value": (
        "prints a value this message can lack (given_name, reference, link, link_parameter, username, or a brand's "
        "optional field) outside {% if %}: it would show as blank"
    ),
    "missing_placeholder": "does not contain the code (or the username or link Cognito requires here)",
    "over_limit": "longer than Cognito accepts",
    "empty": "renders empty",
    "variant_missing": "missing in this locale",
}


def _request(kind: MessageKind, key: TemplateKey, brand: str) -> MessageRequest:
    return MessageRequest(
        trigger_source=kind.trigger_source,
        code_parameter=CODE_PLACEHOLDER,
        # As Cognito sends it: the username placeholder only in the message that must carry it (the welcome).
        username_parameter=USERNAME_PLACEHOLDER if kind.needs_username else None,
        link_parameter=LINK_PLACEHOLDER,
        user_name="pack-check",
        metadata=ResetMetadata(reason=key.variant if kind.takes_reasons else None, locale=key.locale, brand=brand),
        client_id=ADMINISTRATOR_CLIENT_ID if kind.from_administrator else APP_CLIENT,
    )


def _directory(key: TemplateKey) -> str:
    return f"{key.locale}/{key.message}/{key.variant}"


def _first_per_file(problems: list[Problem]) -> list[Problem]:
    """One line per file and reason: the same fault under every brand is said once."""
    seen: dict[tuple[str, str], Problem] = {}
    for problem in problems:
        seen.setdefault((problem.file, problem.reason.split(" (brand ")[0]), problem)
    return list(seen.values())


def local_logos(book: BrandBook, logo_root: Path = BUILT_IN_LOGO_ROOT) -> dict[str, Path]:
    """Each brand's logo_url with the local copy that stands in for it where the URL cannot be fetched (the preview,
    the local outbox): only brands that have both, and whose file exists. ``logo_root``: what logo_file is relative to
    (a merged set's directory, or the built-in logos' root)."""
    return {
        brand.logo_url: logo_root / brand.logo_file
        for brand in book.brands.values()
        if brand.logo_url and brand.logo_file and (logo_root / brand.logo_file).is_file()
    }


@dataclass(frozen=True, slots=True)
class Deployment:
    """What a CDK app deploys to the trigger, as its cdk.json's context says (a `-c` given to the CLI is not seen)."""

    message_pack: Path | None = None
    default_locale: str | None = None
    default_brand: str | None = None

    @classmethod
    def of(cls, app_directory: Path) -> Deployment:
        """The app in `app_directory`; nothing (the built-in messages, the defaults) without a readable cdk.json."""
        try:
            context = json.loads((app_directory / "cdk.json").read_text(encoding="utf-8")).get("context")
        except (OSError, ValueError, AttributeError):
            return cls()
        if not isinstance(context, dict):
            return cls()

        def text(setting: str) -> str | None:
            value = context.get(setting)
            return value.strip() if isinstance(value, str) and value.strip() else None

        pack = text(MESSAGE_PACK_SETTING)
        return cls(
            message_pack=message_pack_path(pack, app_directory) if pack else None,
            default_locale=text(DEFAULT_LOCALE_SETTING),
            default_brand=text(DEFAULT_BRAND_SETTING),
        )


def merged_and_checked(pack: Path | None, target: Path) -> MergedSet:
    """`merge`, then `check`; raises MessagePackError listing every problem."""
    merged = merge(pack, target)
    problems = check(merged)
    if problems:
        listed = "\n".join(f"  {problem}" for problem in problems)
        raise MessagePackError(f"messagePack {pack}: {len(problems)} problem(s) in the merged messages:\n{listed}")
    return merged
