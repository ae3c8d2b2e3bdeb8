"""What a request can ask the trigger for: the reasons, brands and locales of the deployed messages, with the stack's
defaults. The stack publishes it at synth as an output (contracts.stack.MESSAGE_CATALOG) and the operator CLI checks
--reason, --brand and --locale against it, so that a typo is caught before a run instead of sending every user the
generic wording.

Build-time tooling and the CLI's: not part of the function's bundle.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Final

from contracts.client_metadata import REASON
from contracts.patterns import BRAND_ID, LOCALE
from custom_message.brands import BRANDS_FILE, load_brand_book
from custom_message.messages import ADMINISTRATOR_RESET, choose_locale, locale_candidates
from custom_message.templates import TEMPLATES_DIR, TemplateLibrary
from message_tooling.message_pack import MergedSet

# The built-in messages, as a set with no pack over them.
BUILT_IN: Final = MergedSet(templates=Path(TEMPLATES_DIR), brands=BRANDS_FILE)
# How big the published catalog may grow. The CloudFormation quotas page (User Guide, "Understand CloudFormation
# quotas") limits outputs to 200 per template and an output's name to 255 characters, and states no size for an
# output's value; its limit for the values CloudFormation passes around (a parameter value, a custom resource's
# response, cfn-signal data) is 4,096 bytes, which this budget keeps to. The built-in catalog takes about 200 bytes.
OUTPUT_VALUE_BUDGET: Final = 4096
# The brand the trigger falls back to when neither the requested nor the configured brand is in the book
# (brands.BrandBook.choose): the book's "default" entry, else its built-in neutral brand.
_BOOK_DEFAULT: Final = "default"


class MessageCatalogError(ValueError):
    """A catalog too big to publish, or text that is not a catalog a stack published (the message names the field,
    never quotes the text)."""


@dataclass(frozen=True, slots=True)
class MessageCatalog:
    """The reasons (variants of the administrator's reset), brands and locales (those with the administrator's reset)
    of one deployment's messages, sorted, and the stack's defaults (default_brand None: the brand book's default)."""

    reasons: tuple[str, ...]
    brands: tuple[str, ...]
    locales: tuple[str, ...]
    default_locale: str
    default_brand: str | None

    def to_output(self) -> str:
        """Compact JSON, keys sorted: the CloudFormation output's value. MessageCatalogError over the budget."""
        text = json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))
        if len(text.encode("utf-8")) > OUTPUT_VALUE_BUDGET:
            raise MessageCatalogError(
                f"message catalog: {len(text.encode('utf-8'))} bytes of reasons, brands and locales, over the "
                f"{OUTPUT_VALUE_BUDGET} a stack output keeps to; use fewer or shorter ones"
            )
        return text

    @classmethod
    def from_output(cls, text: str) -> MessageCatalog:
        """The catalog a stack published; MessageCatalogError (a ValueError) naming the field when the text is not one.
        Keys this version does not know are passed over (a newer stack may publish more)."""
        try:
            raw = json.loads(text)
        except (TypeError, ValueError):
            raise MessageCatalogError("message catalog: not JSON") from None
        if not isinstance(raw, dict):
            raise MessageCatalogError("message catalog: not a JSON object")
        missing = [field.name for field in fields(cls) if field.name not in raw]
        if missing:
            raise MessageCatalogError(f"message catalog: missing {', '.join(missing)}")
        default_brand = raw["default_brand"]
        if default_brand is not None:
            default_brand = _identifier(default_brand, BRAND_ID, "default_brand")
        return cls(
            reasons=_identifiers(raw["reasons"], REASON, "reasons"),
            brands=_identifiers(raw["brands"], BRAND_ID, "brands"),
            locales=_identifiers(raw["locales"], LOCALE, "locales"),
            default_locale=_identifier(raw["default_locale"], LOCALE, "default_locale"),
            default_brand=default_brand,
        )

    def reason_problem(self, value: str) -> str | None:
        """None for a reason some locale has a variant for; else why the run would send the generic wording."""
        if value in self.reasons:
            return None
        return _unknown("reason", value, self.reasons, f"the generic wording ({ADMINISTRATOR_RESET.generic_variant})")

    def brand_problem(self, value: str) -> str | None:
        """None for a brand in the book; else why the run would send another brand (BrandBook.choose)."""
        if value in self.brands:
            return None
        return _unknown("brand", value, self.brands, self._fallback_brand())

    def locale_warning(self, value: str) -> str | None:
        """None when the trigger has messages for the locale or its language; else what users get instead."""
        if self._serves(value) is not None:
            return None
        return (
            f"locale: no messages for {value!r} or its language{_did_you_mean(value, self.locales)}: each user would "
            f"get their own locale attribute's language where it has messages, else {self._default_served()}. "
            f"Locales with messages: {_listed(self.locales)}"
        )

    def _serves(self, tag: str) -> str | None:
        """The locale the trigger picks for this tag on its own, tried as messages.choose_locale tries each tag: as
        given, then ever shorter (de-AT, then de), then a bare language's only regional locale (pt, then pt-BR)."""
        candidates = locale_candidates(tag)
        for candidate in candidates:
            if self._has(candidate):
                return self._spelt(candidate)
        regions = self._regional(candidates[0]) if len(candidates) == 1 else []
        return regions[0] if len(regions) == 1 else None

    def _default_served(self) -> str:
        """What a user whose own locale has no messages gets: messages.choose_locale with nothing requested."""
        locale = choose_locale((), has_messages=self._has, default=self.default_locale, regional_locales=self._regional)
        return "Cognito's own message" if locale is None else f"the default locale, {self._spelt(locale)}"

    def _has(self, candidate: str) -> bool:
        return candidate.lower() in {locale.lower() for locale in self.locales}

    def _spelt(self, candidate: str) -> str:
        return next(locale for locale in self.locales if locale.lower() == candidate.lower())

    def _regional(self, language: str) -> list[str]:
        return [locale for locale in self.locales if locale.lower().startswith(language.lower() + "-")]

    def _fallback_brand(self) -> str:
        for brand in (self.default_brand, _BOOK_DEFAULT):
            if brand is not None and brand in self.brands:
                return f"the default brand ({brand})"
        return "the built-in neutral brand"


def catalog_of(merged: MergedSet, default_locale: str, default_brand: str | None) -> MessageCatalog:
    """The catalog of a merged set (the built-in messages: BUILT_IN) under the stack's defaults."""
    kind = ADMINISTRATOR_RESET
    resets = [
        key for key in TemplateLibrary(str(merged.templates), compiled=None).variants() if key.message == kind.directory
    ]
    return MessageCatalog(
        # A reason no request can name (the pack check refuses one) is no reason.
        reasons=tuple(sorted({key.variant for key in resets if REASON.fullmatch(key.variant)})),
        brands=tuple(sorted(load_brand_book(merged.brands).brands)),
        # A locale counts where the trigger would pick it for a reset: where the reset's generic variant is.
        locales=tuple(sorted({key.locale for key in resets if key.variant == kind.generic_variant})),
        default_locale=default_locale,
        default_brand=default_brand,
    )


def _identifiers(value: object, shape: re.Pattern[str], field: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise MessageCatalogError(f"message catalog: {field} must be a list")
    return tuple(_identifier(item, shape, field) for item in value)


def _identifier(value: object, shape: re.Pattern[str], field: str) -> str:
    if not isinstance(value, str) or not shape.fullmatch(value):
        raise MessageCatalogError(f"message catalog: {field} holds a value of the wrong shape")
    return value


def _unknown(field: str, value: str, known: tuple[str, ...], instead: str) -> str:
    return (
        f"{field}: {value!r} is not a {field} the trigger knows{_did_you_mean(value, known)}: users would get "
        f"{instead}. Known {field}s: {_listed(known)}"
    )


def _did_you_mean(value: str, known: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(value, known, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _listed(names: tuple[str, ...]) -> str:
    return ", ".join(names) if names else "none"
