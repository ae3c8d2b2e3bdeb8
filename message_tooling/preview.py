"""Renders every message (brand x locale x message x variant) to files plus an index page, to review before deploying.

    .venv/bin/python -m message_tooling.preview [--out out/preview]     (or ``make preview``)

Each message goes through the same code path as in production (``compose_messages``: limits, fallbacks, escaping),
with sample user data. Cognito's placeholders are then replaced by sample values, as Cognito does before sending, so
the page shows what a user reads; the index flags any message that fell back.
"""

from __future__ import annotations

import argparse
import html
import os
import shutil
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from contracts.client_metadata import ResetMetadata
from contracts.cognito import ADMINISTRATOR_CLIENT_ID, CODE_PLACEHOLDER, DEVELOPER, USERNAME_PLACEHOLDER
from custom_message.brands import BrandBook, load_brand_book
from custom_message.event import MessageRequest
from custom_message.messages import MESSAGE_KINDS, MessageKind, MessageSet
from custom_message.rendering import render
from custom_message.settings import Settings
from custom_message.templates import TemplateKey, TemplateLibrary
from message_tooling.message_pack import Deployment, MessagePackError, local_logos, merged_and_checked

DEFAULT_OUT = os.path.join("out", "preview")
# The sample values every preview shows (this gallery and the CLI's `preview`), as Cognito would fill them in.
SAMPLE_CODE = "483920"
SAMPLE_GIVEN_NAME = "Jane"
SAMPLE_TEMPORARY_PASSWORD = "Tq7-mX2p"  # noqa: S105 - a made-up sample shown in the preview
SAMPLE_USERNAME = "jane.doe@example.com"
SAMPLE_LINK_HOST = "reset.example.com"
SAMPLE_APP_CLIENT_ID = "4ns1ll0l2q9c5bdbm7l4t9r3qk"


@dataclass(frozen=True)
class PreviewEntry:
    """One rendered message and where its files are, relative to the index."""

    brand: str
    key: TemplateKey
    messages: MessageSet
    folder: str


def render_preview(
    out_dir: str,
    *,
    library: TemplateLibrary | None = None,
    brands: BrandBook | None = None,
    logos: Mapping[str, Path] | None = None,
) -> str:
    """Write every message and ``index.html`` under ``out_dir``; returns the index path. ``logos``: the local copy of
    each brand's logo_url (default: the built-in brands'), shown where the URL cannot be fetched."""
    library = library or TemplateLibrary()
    if brands is None:
        brands = load_brand_book()
        logos = local_logos(brands) if logos is None else logos
    shown_logos = _copied_logos(out_dir, logos or {})
    # Everything a pool that sends through its own SES identity gets; under COGNITO_DEFAULT only the SMS column holds.
    settings = Settings(allowed_link_hosts=frozenset({SAMPLE_LINK_HOST}), email_sending_account=DEVELOPER)
    entries: list[PreviewEntry] = []
    for brand_id in sorted(brands.brands) or ["default"]:
        for key in sorted(library.variants()):
            kind = MESSAGE_KINDS.get(key.message)
            if kind is None:
                continue
            entries.append(
                _render_one(
                    out_dir,
                    library=library,
                    brands=brands,
                    settings=settings,
                    brand_id=brand_id,
                    key=key,
                    kind=kind,
                    logos=shown_logos,
                )
            )
    index = os.path.join(out_dir, "index.html")
    _write(index, _index_page(entries, brands))
    return index


def _render_one(
    out_dir: str,
    *,
    library: TemplateLibrary,
    brands: BrandBook,
    settings: Settings,
    brand_id: str,
    key: TemplateKey,
    kind: MessageKind,
    logos: Mapping[str, str],
) -> PreviewEntry:
    request = MessageRequest(
        trigger_source=kind.trigger_source,
        # As Cognito marks the caller: an administrator's API call, or a user's own request through an app client.
        client_id=ADMINISTRATOR_CLIENT_ID if kind.from_administrator else SAMPLE_APP_CLIENT_ID,
        code_parameter=CODE_PLACEHOLDER,
        username_parameter=USERNAME_PLACEHOLDER if kind.needs_username else None,
        user_name=SAMPLE_USERNAME,
        user_attributes={"given_name": SAMPLE_GIVEN_NAME, "email": SAMPLE_USERNAME, "locale": key.locale},
        metadata=ResetMetadata(
            reason=key.variant,
            locale=key.locale,
            brand=brand_id,
            reference="SEC-4211",
            link=f"https://{SAMPLE_LINK_HOST}/password",
        ),
    )
    rendering = render(request, library=library, brands=brands, settings=settings)
    messages = rendering.messages
    folder = "/".join((brand_id, key.locale, key.message, key.variant))
    target = os.path.join(out_dir, *folder.split("/"))
    code = SAMPLE_TEMPORARY_PASSWORD if kind.needs_username else SAMPLE_CODE
    if messages.email_message is not None:
        html_page = _as_sent(messages.email_message, code)
        for url, copied in logos.items():
            html_page = html_page.replace(url, os.path.relpath(copied, target).replace(os.sep, "/"))
        _write(os.path.join(target, "email.html"), html_page)
    if rendering.text_body is not None:
        _write(os.path.join(target, "email.txt"), _as_sent(rendering.text_body, code))
    else:
        causes = sorted({f.cause for f in rendering.plain_text.fallbacks if f.part == "body.txt"})
        _write(os.path.join(target, "email.txt"), f"(no plain-text body: {', '.join(causes) or 'Cognito default'})\n")
    _write(os.path.join(target, "subject.txt"), _as_sent(messages.email_subject or "(Cognito default)", code))
    _write(os.path.join(target, "sms.txt"), _as_sent(messages.sms_message or "(Cognito default)", code))
    return PreviewEntry(brand=brand_id, key=key, messages=messages, folder=folder)


def _copied_logos(out_dir: str, logos: Mapping[str, Path]) -> dict[str, str]:
    """Each logo's local copy under ``out_dir/logos/``, by the logo_url it stands in for."""
    copied: dict[str, str] = {}
    for url, source in logos.items():
        target = os.path.join(out_dir, "logos", source.name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(source, target)
        copied[url] = target
    return copied


def _as_sent(text: str, code: str) -> str:
    # What Cognito does after the trigger returns: its placeholders become the real code and user name.
    return text.replace(CODE_PLACEHOLDER, code).replace(USERNAME_PLACEHOLDER, SAMPLE_USERNAME)


def _index_page(entries: list[PreviewEntry], brands: BrandBook) -> str:
    rows = []
    for entry in entries:
        result = entry.messages
        fallbacks = ", ".join(f"{f.part}: {f.cause}" for f in result.fallbacks)
        code = SAMPLE_TEMPORARY_PASSWORD if entry.key.message == "admin_create_user" else SAMPLE_CODE
        email_link = (
            f'<a href="{entry.folder}/email.html">HTML</a> · ' if result.email_message is not None else "default · "
        )
        rows.append(
            "<tr{cls}><td>{brand}</td><td>{locale}</td><td>{message}</td><td>{variant}</td><td>{subject}</td>"
            '<td>{email}<a href="{folder}/email.txt">text</a></td><td class="sms">{sms} <small>({length})</small></td>'
            "<td>{fallbacks}</td></tr>".format(
                cls=' class="fallback"' if fallbacks else "",
                brand=html.escape(entry.brand),
                locale=html.escape(entry.key.locale),
                message=html.escape(entry.key.message),
                variant=html.escape(entry.key.variant),
                subject=html.escape(_as_sent(result.email_subject or "(Cognito default)", code)),
                email=email_link,
                folder=html.escape(entry.folder),
                sms=html.escape(_as_sent(result.sms_message or "(Cognito default)", code)),
                length=len(result.sms_message or ""),
                fallbacks=html.escape(fallbacks) or "none",
            )
        )
    problems = "".join(f"<li>{html.escape(problem)}</li>" for problem in brands.problems)
    fallback_count = sum(1 for entry in entries if entry.messages.fallbacks)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Custom message preview</title>
<style>
body {{ font: 14px/1.4 Arial, Helvetica, sans-serif; margin: 24px; color: #1a1a1a; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border: 1px solid #d0d7de; padding: 6px 8px; text-align: left; vertical-align: top; }}
th {{ background: #f3f5f7; }}
tr.fallback td {{ background: #fff1f0; }}
.summary {{ margin: 0 0 16px; }}
</style>
</head>
<body>
<h1>Custom message preview</h1>
<p class="summary">{len(entries)} messages ({fallback_count} with a fallback). Sample code <b>{SAMPLE_CODE}</b>,
temporary password <b>{SAMPLE_TEMPORARY_PASSWORD}</b>, user <b>{SAMPLE_USERNAME}</b>, link host {SAMPLE_LINK_HOST}:
Cognito's placeholders are shown replaced, as the user will read them.</p>
{f'<h2>brands.json problems</h2><ul class="problems">{problems}</ul>' if problems else ""}
<table>
<thead><tr><th>brand</th><th>locale</th><th>message</th><th>variant</th><th>subject</th><th>e-mail</th><th>SMS</th>
<th>fallbacks</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
</body>
</html>
"""


def _write(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as file:
        file.write(text if text.endswith("\n") else text + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render every custom message to files with an index page.")
    parser.add_argument("--out", default=DEFAULT_OUT, help=f"output directory (default {DEFAULT_OUT})")
    parser.add_argument(
        "--pack",
        type=Path,
        help="a message pack to merge over the built-in messages, checked first (default: the messagePack of "
        "./cdk.json, if it names one)",
    )
    arguments = parser.parse_args(argv)
    pack = arguments.pack or Deployment.of(Path.cwd()).message_pack
    if pack is None:
        index = render_preview(arguments.out)
    else:
        with tempfile.TemporaryDirectory(prefix="message-pack-") as merged_dir:
            try:
                merged = merged_and_checked(pack, Path(merged_dir))
            except MessagePackError as error:
                print(error, file=sys.stderr)
                return 1
            book = load_brand_book(merged.brands)
            index = render_preview(
                arguments.out, library=merged.library(), brands=book, logos=local_logos(book, merged.logo_root)
            )
    print(f"preview written: {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
