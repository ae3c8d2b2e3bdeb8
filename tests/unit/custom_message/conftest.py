"""Fixtures for the custom message trigger: real Cognito payloads, the shipped templates, captured telemetry."""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from contracts.cognito import DEVELOPER
from contracts.telemetry import CUSTOM_MESSAGE_SERVICE, NAMESPACE
from custom_message.brands import BrandBook, load_brand_book
from custom_message.handler import Container, Dependencies, handle_custom_message
from custom_message.settings import Settings
from custom_message.telemetry import Telemetry
from custom_message.templates import TemplateLibrary

EVENTS = Path(__file__).resolve().parents[2] / "events" / "custom_message"
EVENT_FILES = sorted(path.name for path in EVENTS.glob("*.json"))
LINK_HOST = "reset.example.com"


def load_event(name: str) -> dict[str, Any]:
    """A fresh copy of one fixture (handlers mutate the event in place)."""
    return dict(json.loads((EVENTS / name).read_text(encoding="utf-8")))


def forgot_password_event(metadata: object = None, **attributes: object) -> dict[str, Any]:
    """The admin-reset ForgotPassword fixture with its clientMetadata and user attributes replaced."""
    event = load_event("forgot_password_admin_reset.json")
    event["request"]["clientMetadata"] = metadata
    event["request"]["userAttributes"] = {"sub": "2f1e", "email_verified": "true", "email": "alice@example.com"}
    event["request"]["userAttributes"].update(attributes)
    return event


class Captured:
    """What one test's handler wrote: the JSON lines, parsed."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    @property
    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def metric(self, name: str) -> int:
        """Sum of one metric over every EMF line written."""
        return sum(int(line[name]) for line in self.lines if "_aws" in line)


@pytest.fixture(scope="session")
def library() -> TemplateLibrary:
    return TemplateLibrary()


@pytest.fixture(scope="session")
def brands() -> BrandBook:
    return load_brand_book()


@pytest.fixture
def settings() -> Settings:
    """A pool that sends e-mail through its own SES identity: every part is tailored (COGNITO_DEFAULT tests say so)."""
    return Settings(allowed_link_hosts=frozenset({LINK_HOST}), email_sending_account=DEVELOPER)


@pytest.fixture
def captured() -> Captured:
    return Captured()


Invoke = Callable[..., Any]


@pytest.fixture
def invoke(library: TemplateLibrary, brands: BrandBook, settings: Settings, captured: Captured) -> Invoke:
    """Call the handler's logic with the shipped templates and a captured telemetry stream."""

    def call(
        event: object,
        *,
        library_override: TemplateLibrary | None = None,
        settings_override: Settings | None = None,
        brands_override: BrandBook | None = None,
    ) -> Any:
        dependencies = Dependencies(
            settings=settings_override or settings,
            library=library_override or library,
            brands=brands_override or brands,
            telemetry=Telemetry(service=CUSTOM_MESSAGE_SERVICE, namespace=NAMESPACE, stream=captured.stream),
        )
        return handle_custom_message(event, None, dependencies)

    return call


@pytest.fixture
def container() -> Container:
    """A new Lambda container over this process's environment (read on its first invocation, as deployed)."""
    return Container()


def write_templates(root: Path, files: dict[str, str]) -> TemplateLibrary:
    """A template tree under ``root`` (shared layouts copied from the shipped ones) and a library over it."""
    shipped = Path(TemplateLibrary().root)
    for name in ("layout.html", "en/layout.html"):
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text((shipped / name).read_text(encoding="utf-8"), encoding="utf-8")
    for name, text in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return TemplateLibrary(str(root), compiled=None)


def copy_event(event: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(event)
