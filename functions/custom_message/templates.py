"""The message templates on disk: which locale/message/variant directories exist, and rendering one part of one.

Layout (see docs/custom-message.md)::

    templates/layout.html                              shared HTML structure, branded, no words of its own
    templates/<locale>/layout.html                     the locale's wording around every e-mail (footer, support)
    templates/<locale>/<message>/<variant>/subject.txt e-mail subject
                                           body.html   e-mail body, extends the locale layout
                                           body.txt    plain-text body (the simpler fallback e-mail)
                                           sms.txt     SMS text

Templates compile on first use and stay compiled for the life of the container (``auto_reload=False``), so a cold
start pays only for the handful of files one message needs. ``StrictUndefined`` turns a misspelt variable into an
error, which the render-everything test catches before a deployment does.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES_DIR: Final = Path(__file__).with_name("templates")

Part = Literal["subject", "body.html", "body.txt", "sms"]
PART_FILES: Final[dict[Part, str]] = {
    "subject": "subject.txt",
    "body.html": "body.html",
    "body.txt": "body.txt",
    "sms": "sms.txt",
}
_LOCALE_DIR: Final = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{1,8}){0,3}")
_NAME_DIR: Final = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


@dataclass(frozen=True, slots=True)
class TemplateKey:
    """One message variant: ``<locale>/<message>/<variant>/``."""

    locale: str
    message: str
    variant: str

    def path(self, part: Part) -> str:
        """The loader name of one part (always '/'-separated, whatever the OS)."""
        return f"{self.locale}/{self.message}/{self.variant}/{PART_FILES[part]}"


class TemplateLibrary:
    """The templates directory, scanned once; renders parts with one shared, caching Jinja2 environment."""

    def __init__(self, root: Path = TEMPLATES_DIR) -> None:
        self.root = root
        self._variants = _scan(root)
        self.locales = frozenset(key.locale for key in self._variants)
        self._environment = Environment(
            loader=FileSystemLoader(str(root), encoding="utf-8"),
            # HTML escapes every value; subject, plain text and SMS are not HTML (their values are only stripped of
            # control characters, and the plain-text body is escaped as a whole when it is sent as the e-mail).
            autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True, default=False),
            undefined=StrictUndefined,
            auto_reload=False,
            cache_size=-1,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )

    def has(self, key: TemplateKey) -> bool:
        """Whether the variant directory exists (its parts may still be missing or broken: rendering tells)."""
        return key in self._variants

    def variants(self) -> frozenset[TemplateKey]:
        """Every variant directory found at start-up."""
        return self._variants

    def render(self, key: TemplateKey, part: Part, context: dict[str, object]) -> str:
        """Render one part. Raises jinja2's TemplateNotFound / TemplateError; the caller turns those into fallbacks."""
        template = self._environment.get_template(key.path(part))
        return template.render(context)


def _scan(root: Path) -> frozenset[TemplateKey]:
    # Three levels of small directories: a few dozen stat calls, once per container.
    found: set[TemplateKey] = set()
    for locale in _subdirectories(root, _LOCALE_DIR):
        for message in _subdirectories(root / locale, _NAME_DIR):
            found.update(
                TemplateKey(locale, message, variant) for variant in _subdirectories(root / locale / message, _NAME_DIR)
            )
    return frozenset(found)


def _subdirectories(path: Path, shape: re.Pattern[str]) -> list[str]:
    try:
        with os.scandir(path) as entries:
            return sorted(entry.name for entry in entries if entry.is_dir() and shape.fullmatch(entry.name))
    except OSError:
        return []
