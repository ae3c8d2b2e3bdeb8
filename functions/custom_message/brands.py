"""Brands (name, colours, logo, support contact) from the packaged ``brands.json``, validated once per container.

Brand values end up inside inline CSS and ``src``/``href`` attributes, where HTML escaping alone is not enough,
so each field has a strict shape; an entry that breaks it is left out (and reported) instead of being rendered.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Final, NamedTuple

from contracts.patterns import BRAND_ID, EMAIL_ADDRESS

BRANDS_FILE: Final = Path(__file__).with_name("brands.json")

_COLOUR: Final = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_HTTPS_URL: Final = re.compile(r"https://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]{1,500}")
# A copy of the logo beside brands.json, for the preview and the local outbox (which cannot fetch logo_url); the
# deployed trigger renders logo_url only.
_LOGO_FILE: Final = re.compile(r"logos/[a-z0-9][a-z0-9_-]{0,63}\.(?:png|svg|jpg|jpeg|gif)")
_NAME_LENGTH: Final = 80


class Brand(NamedTuple):
    """One brand as templates see it: ``brand.name``, ``brand.primary_colour``, ``brand.logo_url``, ..."""

    id: str
    name: str
    primary_colour: str = "#1f4e79"
    accent_colour: str = "#e8eef5"
    text_colour: str = "#1a1a1a"
    logo_url: str | None = None
    support_email: str | None = None
    support_url: str | None = None
    logo_file: str | None = None  # logos/<name>, beside brands.json: what the preview and the local outbox show


# Used when brands.json has no valid default entry: neutral, and enough for every template to render.
FALLBACK_BRAND: Final = Brand(id="default", name="Account security")


class BrandBook(NamedTuple):
    """Every valid brand by id, plus the problems found in the file (worded for the deployer, never shown to users)."""

    brands: dict[str, Brand]
    problems: tuple[str, ...] = ()

    def choose(self, requested: str | None, default_id: str) -> Brand:
        """The requested brand, else the configured default, else the built-in neutral brand."""
        if requested is not None and requested in self.brands:
            return self.brands[requested]
        return self.brands.get(default_id) or self.brands.get("default") or FALLBACK_BRAND


def load_brand_book(path: Path = BRANDS_FILE) -> BrandBook:
    """Read and validate the brand file. A missing or unreadable file leaves only the built-in brand."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        return BrandBook(brands={}, problems=(f"{path.name}: cannot be read ({type(error).__name__})",))
    entries = raw.get("brands") if isinstance(raw, dict) else None
    if not isinstance(entries, dict):
        return BrandBook(brands={}, problems=(f'{path.name}: expected {{"brands": {{"<id>": {{...}}}}}}',))
    brands: dict[str, Brand] = {}
    problems: list[str] = []
    for brand_id, entry in entries.items():
        brand, entry_problems = _read_brand(brand_id, entry)
        problems.extend(entry_problems)
        if brand is not None:
            brands[brand_id] = brand
    return BrandBook(brands=brands, problems=tuple(problems))


def _read_brand(brand_id: str, entry: object) -> tuple[Brand | None, list[str]]:
    where = f"brands.{brand_id}"
    if not BRAND_ID.fullmatch(brand_id):
        return None, [f"{where}: the id must be a lower-case brand id such as 'acme'"]
    if not isinstance(entry, dict):
        return None, [f"{where}: must be an object"]
    problems: list[str] = []
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > _NAME_LENGTH:
        problems.append(f"{where}.name: required, 1-{_NAME_LENGTH} characters")
    checks = {
        "primary_colour": (_COLOUR, "a #rgb or #rrggbb colour"),
        "accent_colour": (_COLOUR, "a #rgb or #rrggbb colour"),
        "text_colour": (_COLOUR, "a #rgb or #rrggbb colour"),
        "logo_url": (_HTTPS_URL, "an https:// URL"),
        "support_email": (EMAIL_ADDRESS, "an e-mail address"),
        "support_url": (_HTTPS_URL, "an https:// URL"),
        "logo_file": (_LOGO_FILE, "a file under logos/ beside brands.json (.png, .svg, .jpg or .gif)"),
    }
    values: dict[str, str] = {}
    for key, (shape, wording) in checks.items():
        value = entry.get(key)
        if value is None:
            continue
        if not isinstance(value, str) or not shape.fullmatch(value):
            problems.append(f"{where}.{key}: must be {wording}")
            continue
        values[key] = value
    unknown = sorted(set(entry) - set(checks) - {"name"})
    if unknown:
        problems.append(f"{where}: unknown keys {', '.join(unknown)}")
    if problems or not isinstance(name, str):
        return None, problems
    return Brand(id=brand_id, name=name.strip(), **values), problems
