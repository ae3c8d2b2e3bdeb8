"""The preview, opened in a real browser: headless Chromium renders the index and an e-mail with the code visible.

Needs Debian's chromium (``make browser``; ``make test-preview`` does both and sets REQUIRE_CHROMIUM=1, so a missing
browser fails there instead of skipping). Screenshots are written next to the preview, in out/preview/.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from custom_message.brands import load_brand_book
from custom_message.messages import MESSAGE_KINDS
from custom_message.templates import TemplateLibrary
from message_tooling.preview import SAMPLE_CODE, SAMPLE_TEMPORARY_PASSWORD, render_preview

CHROMIUM = "/usr/bin/chromium"
PREVIEW = Path(__file__).resolve().parents[2] / "out" / "preview"
EMAIL = "default/en/forgot_password/security_incident/email.html"
WELCOME = "acme/de/admin_create_user/welcome/email.html"
# The eight languages every message ships in.
SHIPPED_LOCALES = {"en", "de", "fr", "es", "it", "pt-BR", "nl", "ja"}

if not os.access(CHROMIUM, os.X_OK):
    if os.environ.get("REQUIRE_CHROMIUM") == "1":
        pytest.fail(f"{CHROMIUM} is missing: run `make browser`", pytrace=False)
    pytest.skip(f"{CHROMIUM} is missing (make test-preview installs it)", allow_module_level=True)


@pytest.fixture(scope="module")
def preview() -> Path:
    index = render_preview(str(PREVIEW))
    return Path(index).parent


@pytest.fixture
def profile() -> Iterator[str]:
    # A fresh profile per run: no state from an earlier browser, nothing written outside the temp directory.
    directory = tempfile.mkdtemp(prefix="chromium-profile-")
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


def chromium(profile: str, *arguments: str) -> str:
    completed = subprocess.run(  # noqa: S603 - a fixed browser binary with our own arguments
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            f"--user-data-dir={profile}",
            *arguments,
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    return completed.stdout


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_index_lists_every_message_without_fallbacks(preview: Path, profile: str) -> None:
    dom = chromium(profile, "--dump-dom", (preview / "index.html").as_uri())

    assert "<h1>Custom message preview</h1>" in dom
    # Every brand x every variant of every message in every locale
    library, brands = TemplateLibrary(), load_brand_book()
    assert {key.locale for key in library.variants()} == SHIPPED_LOCALES
    assert {key.message for key in library.variants()} == set(MESSAGE_KINDS)
    expected = len(brands.brands) * len(library.variants())
    assert f"{expected} messages (0 with a fallback)" in dom
    assert dom.count("<tr>") == expected + 1  # header + one row per message
    assert 'class="fallback"' not in dom
    assert f"Code: {SAMPLE_CODE} (valid 1 hour)." in dom
    assert "Sicherheitshinweis: Ihr Passwort bei ACME Industries wurde zurückgesetzt" in dom
    assert "Ihr Code zum Zurücksetzen des Passworts bei ACME Industries" in dom  # the user's own request


def test_an_email_renders_with_the_code_visible_and_a_screenshot_next_to_the_preview(
    preview: Path, profile: str
) -> None:
    email = preview / EMAIL
    dom = chromium(profile, "--dump-dom", email.as_uri())

    code_box = re.search(r'<div class="code"[^>]*>([^<]*)</div>', dom)
    assert code_box is not None
    assert code_box.group(1) == SAMPLE_CODE
    assert "We reset your password to protect your account" in dom
    assert "Hello Jane," in dom
    assert f'href="https://reset.example.com/password?code={SAMPLE_CODE}&amp;username=jane.doe%40example.com"' in dom

    screenshot = preview / "screenshot-email.png"
    screenshot.unlink(missing_ok=True)
    chromium(profile, f"--screenshot={screenshot}", "--window-size=720,1000", "--hide-scrollbars", email.as_uri())
    assert png_size(screenshot) == (720, 1000)
    assert screenshot.stat().st_size > 20_000  # a rendered page, not a blank canvas


def test_the_welcome_email_shows_user_name_and_temporary_password(preview: Path, profile: str) -> None:
    dom = chromium(profile, "--dump-dom", (preview / WELCOME).as_uri())

    assert re.search(r'<div class="username"[^>]*>jane\.doe@example\.com</div>', dom)
    assert re.search(rf'<div class="code"[^>]*>{SAMPLE_TEMPORARY_PASSWORD}</div>', dom)
    assert "Willkommen bei ACME Industries" in dom


def test_the_brands_logo_shows_in_its_emails(preview: Path, profile: str) -> None:
    """The logo the e-mail names is a URL this machine cannot fetch; the preview shows the brand's own copy."""
    probe = preview / "logo-probe.html"
    probe.write_text(
        f'<!doctype html><html><body><iframe id="email" src="{WELCOME}"></iframe><script>'
        'document.getElementById("email").onload = function () {'
        "  const logo = this.contentDocument.querySelector('img');"
        '  document.body.dataset.logo = logo ? logo.complete + ":" + logo.naturalWidth : "none";'
        "};</script></body></html>\n",
        encoding="utf-8",
    )
    dom = chromium(
        profile, "--allow-file-access-from-files", "--virtual-time-budget=10000", "--dump-dom", probe.as_uri()
    )
    assert 'data-logo="true:240"' in dom


def test_index_screenshot(preview: Path, profile: str) -> None:
    screenshot = preview / "screenshot-index.png"
    screenshot.unlink(missing_ok=True)
    chromium(profile, f"--screenshot={screenshot}", "--window-size=1400,900", (preview / "index.html").as_uri())
    assert png_size(screenshot) == (1400, 900)
