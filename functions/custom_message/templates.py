"""The message templates on disk: which locale/message/variant directories exist, and rendering one part of one.

Layout (see docs/custom-message.md)::

    templates/layout.html                              shared HTML structure, branded, no words of its own
    templates/<locale>/layout.html                     the locale's wording around every e-mail (footer, support)
    templates/<locale>/<message>/<variant>/subject.txt e-mail subject
                                           body.html   e-mail body, extends the locale layout
                                           body.txt    plain-text body (the simpler fallback e-mail)
                                           sms.txt     SMS text

Templates compile on first use and stay compiled for the life of the container (``auto_reload=False``), so a cold
start pays only for the handful of files one message needs. Jinja2's own lexing, parsing and code generation cost
~20 ms for those files, so the deployed bundle carries ``compiled_templates/``: the Python source Jinja2 generates for
every template, written when the bundle is built (infra/template_compilation.py; never in git), and, when the build
ran on the runtime's Python, that source compiled to bytecode too (``.j2bc``, Jinja2's own bytecode cache format,
which names the Python version it is for). A file is used only while the SHA-1 of its template still matches, so a
template is never shadowed by a copy of another version: it is compiled the slow way instead, which is also what
happens locally and in the tests, where no compiled copy exists. Bytecode for another Python is passed over for
the generated source.
``StrictUndefined`` turns a misspelt variable into an error, which the render-everything test catches before a
deployment does. A value this message lacks (no given_name, no link, a brand without support_email: ``None``),
printed as it is (``{{ given_name }}``), prints as nothing rather than "None"; the message pack check renders with
``absent_values="refuse"`` instead, so a template that prints one outside an ``{% if %}`` stops synth
(``AbsentValueError``). Jinja2 calls the hook on the printed result only: a filter or a concatenation applied to an
absent value (``{{ reference|upper }}``) sees None itself, so every use of such a value belongs inside an ``{% if %}``.
"""

from __future__ import annotations

import copy
import hashlib
import os
import re
from typing import Final, Literal, NamedTuple

from jinja2 import (
    BytecodeCache,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateNotFound,
    TemplateRuntimeError,
    select_autoescape,
)
from jinja2 import __version__ as jinja2_version
from jinja2.bccache import Bucket

_HERE: Final = os.path.dirname(os.path.abspath(__file__))
TEMPLATES_DIR: Final = os.path.join(_HERE, "templates")
COMPILED_DIR: Final = os.path.join(_HERE, "compiled_templates")
# Not ".py": generated code is neither linted, type-checked nor imported as a module; it is compile()d on demand.
COMPILED_SUFFIX: Final = ".j2py"
# The same code as bytecode for one Python version, in Jinja2's bytecode cache format, after the same header line.
BYTECODE_SUFFIX: Final = ".j2bc"
# Beside the compiled templates: every variant directory, one `locale/message/variant` per line, written by the same
# build step, so that a cold start reads one file instead of walking every locale's directories.
VARIANTS_FILE: Final = "variants.txt"

# Templates are UTF-8; a byte order mark that an editor put at the start of a file is dropped rather than sent (an
# invisible character that would also turn an SMS into UCS-2, at 70 characters a part).
TEXT_ENCODING: Final = "utf-8-sig"

Part = Literal["subject", "body.html", "body.txt", "sms"]
PART_FILES: Final[dict[Part, str]] = {
    "subject": "subject.txt",
    "body.html": "body.html",
    "body.txt": "body.txt",
    "sms": "sms.txt",
}
# What the library takes for a locale directory: a BCP 47 tag with a lower-case language, region in either case
# (pt-BR, as the tag is usually written, or pt-br); looked up without regard to case.
LOCALE_DIRECTORY: Final = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{1,8}){0,3}")
# And for a message or variant directory: a lower-case name (forgot_password, security_incident).
NAME_DIRECTORY: Final = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


class TemplateKey(NamedTuple):
    """One message variant: ``<locale>/<message>/<variant>/``."""

    locale: str
    message: str
    variant: str

    def path(self, part: Part) -> str:
        """The loader name of one part (always '/'-separated, whatever the OS)."""
        return f"{self.locale}/{self.message}/{self.variant}/{PART_FILES[part]}"


class AbsentValueError(TemplateRuntimeError):
    """A template printed a value that this message lacks (``None``); raised only under ``absent_values="refuse"``."""


def _blank_if_absent(value: object) -> object:
    return "" if value is None else value


def _refuse_absent(value: object) -> object:
    if value is None:
        raise AbsentValueError("printed a value that this message lacks")
    return value


class TemplateLibrary:
    """The templates directory, scanned once; renders parts with one shared, caching Jinja2 environment."""

    def __init__(
        self,
        root: str = TEMPLATES_DIR,
        compiled: str | None = COMPILED_DIR,
        *,
        absent_values: Literal["blank", "refuse"] = "blank",
    ) -> None:
        self.root = root
        self._variants = _read_variants(compiled, root) or _scan(root)
        self._locales = {key.locale.lower(): key.locale for key in self._variants}
        self.precompiled = PrecompiledTemplates(compiled) if compiled else None
        self.environment = Environment(
            loader=FileSystemLoader(root, encoding=TEXT_ENCODING),
            bytecode_cache=self.precompiled,
            # HTML escapes every value; subject, plain text and SMS are not HTML (their values are only stripped of
            # control characters, and the plain-text body is escaped as a whole when it is sent as the e-mail).
            autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True, default=False),
            undefined=StrictUndefined,
            # Called on every printed value ({{ ... }}); the generated code calls whichever function the loading
            # environment has, so compiled templates serve both.
            finalize=_refuse_absent if absent_values == "refuse" else _blank_if_absent,
            auto_reload=False,
            cache_size=-1,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        self._html_bodies = True

    def without_html_bodies(self) -> TemplateLibrary:
        """The same templates (and compiled cache) as the trigger sees them when no HTML body can be used: it then
        sends the plain-text one (custom_message.rendering)."""
        view = copy.copy(self)
        view._html_bodies = False
        return view

    def locale_directory(self, locale: str) -> str:
        """The locale's directory as it is spelt on disk (``pt-br`` -> ``pt-BR``); the locale itself if none."""
        return self._locales.get(locale.lower(), locale)

    def _on_disk(self, key: TemplateKey) -> TemplateKey:
        return key._replace(locale=self.locale_directory(key.locale))

    def has(self, key: TemplateKey) -> bool:
        """Whether the variant directory exists (its parts may still be missing or broken: rendering tells)."""
        return self._on_disk(key) in self._variants

    def variants(self) -> frozenset[TemplateKey]:
        """Every variant directory found at start-up."""
        return self._variants

    def render(self, key: TemplateKey, part: Part, context: dict[str, object]) -> str:
        """Render one part. Raises jinja2's TemplateNotFound / TemplateError; the caller turns those into fallbacks."""
        if part == "body.html" and not self._html_bodies:
            raise TemplateNotFound(self._on_disk(key).path(part))
        template = self.environment.get_template(self._on_disk(key).path(part))
        return template.render(context)


class PrecompiledTemplates(BytecodeCache):
    """A read-only Jinja2 bytecode cache over what the bundle's build compiled, keyed by template name, checked by
    SHA-1: bytecode where it is for this Python, else the generated Python source.

    Jinja2's own file cache stores marshalled code objects only, which only the exact Python version that wrote them
    can read; this project may build on one Python and run on Lambda's, so the build always writes the
    version-independent source, and adds bytecode when it runs on the runtime's version.
    """

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self.hits: list[str] = []
        self.misses: list[str] = []
        self.bytecode_hits: list[str] = []  # the hits loaded as bytecode rather than compiled from generated source

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        # By name only: Jinja2's default mixes in the absolute file path, which differs between build and Lambda.
        return _sha1(name)

    def load_bytecode(self, bucket: Bucket) -> None:
        stem = os.path.join(self.directory, bucket.key)
        if _load_bytecode(bucket, stem + BYTECODE_SUFFIX):
            self.bytecode_hits.append(bucket.key)
        elif not _load_generated_source(bucket, stem + COMPILED_SUFFIX):
            self.misses.append(bucket.key)
            return
        self.hits.append(bucket.key)

    def dump_bytecode(self, bucket: Bucket) -> None:
        """Nothing: the function's code directory is read-only on Lambda; the bundle's build writes the files."""


def _load_bytecode(bucket: Bucket, path: str) -> bool:
    try:
        with open(path, "rb") as file:
            if not file.readline().decode("utf-8").startswith(compiled_header_prefix(bucket.checksum)):
                return False
            # Jinja2 checks its own magic (its format and the Python version) and the checksum again; on any
            # mismatch it leaves the bucket empty.
            bucket.load_bytecode(file)
    except (OSError, UnicodeDecodeError):
        return False
    return bucket.code is not None


def _load_generated_source(bucket: Bucket, path: str) -> bool:
    try:
        with open(path, encoding="utf-8") as file:
            header = file.readline()
            source = file.read()
    except OSError:
        return False
    if not header.startswith(compiled_header_prefix(bucket.checksum)):
        return False
    bucket.code = compile(source, path, "exec")
    return True


def compiled_header_prefix(source_sha1: str) -> str:
    """First line of a precompiled file: the Jinja2 version and source it is valid for (code generation varies)."""
    return f"# jinja2 {jinja2_version} source-sha1 {source_sha1} "


def _sha1(text: str) -> str:
    # Not for security: Jinja2 itself identifies template sources by SHA-1 (Bucket.checksum), so this matches it.
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def _read_variants(compiled: str | None, root: str) -> frozenset[TemplateKey] | None:
    """The variant directories as the build listed them (written with the compiled templates, from the same tree);
    None when there is no listing, to scan instead."""
    if compiled is None:
        return None
    try:
        with open(os.path.join(compiled, VARIANTS_FILE), encoding="utf-8") as file:
            lines = file.read().splitlines()
    except OSError:
        return None
    keys = [TemplateKey(*line.split("/")) for line in lines if line.count("/") == 2]
    return frozenset(keys) if keys and os.path.isdir(root) else None


def _scan(root: str) -> frozenset[TemplateKey]:
    # Three levels of small directories: a few dozen stat calls, once per container.
    found: set[TemplateKey] = set()
    for locale in _subdirectories(root, LOCALE_DIRECTORY):
        for message in _subdirectories(os.path.join(root, locale), NAME_DIRECTORY):
            variants = _subdirectories(os.path.join(root, locale, message), NAME_DIRECTORY)
            found.update(TemplateKey(locale, message, variant) for variant in variants)
    return frozenset(found)


def _subdirectories(path: str, shape: re.Pattern[str]) -> list[str]:
    try:
        with os.scandir(path) as entries:
            return sorted(entry.name for entry in entries if entry.is_dir() and shape.fullmatch(entry.name))
    except OSError:
        return []
