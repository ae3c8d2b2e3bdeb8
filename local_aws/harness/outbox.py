"""Where the local system's e-mails and text messages go, for people to look at: a folder per message and an index
page to open.

Each message is filed as Cognito sent it (emulation/cognito.py: the code filled in, Cognito's own text where the trigger
left a field empty), with the e-mail's text beside it as a text-only mail client shows it: email.html, email.txt,
sms.txt, message.json. A message that could not reach the user (emulation/delivery.py) is filed with its reason and
listed as not delivered. Each local system starts with an empty outbox, so the index lists exactly what is in it.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from local_aws.emulation.cognito import SentMessage


class _TextOfHtml(HTMLParser):
    """The readable text of an HTML e-mail: what a text-only mail client would show."""

    _BLOCKS = frozenset({"p", "div", "br", "tr", "h1", "h2", "h3", "li", "table"})
    _HIDDEN = frozenset({"style", "script", "title", "head"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._hidden += tag in self._HIDDEN
        if tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        self._hidden -= tag in self._HIDDEN
        if tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    parser = _TextOfHtml()
    parser.feed(markup)
    lines = (re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


def _origin(tailored: bool) -> str:
    return "tailored" if tailored else "Cognito default"


@dataclass(frozen=True, slots=True)
class DeliveredMessage(SentMessage):
    """A sent message as the outbox filed it, in `folder`."""

    folder: str = ""

    @property
    def email_text(self) -> str:
        return html_to_text(self.email_html)


@dataclass
class Outbox:
    root: Path
    # The local copy of each brand's logo, by the logo_url the e-mail names (which cannot be fetched here): the
    # filed e-mail shows the copy, the message keeps what the trigger sent.
    logos: Mapping[str, Path] = field(default_factory=dict)
    messages: list[DeliveredMessage] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.root.exists() and any(self.root.iterdir()):
            if not self.index.exists():
                # Not an outbox from an earlier start: someone's folder, which is not ours to empty.
                raise FileExistsError(f"{self.root} is not empty and holds no outbox: give the outbox its own folder")
            shutil.rmtree(self.root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._write_index()

    @property
    def index(self) -> Path:
        return self.root / "index.html"

    def deliver(self, sent: SentMessage) -> DeliveredMessage:
        with self._lock:
            # "001-ForgotPassword" for the first CustomMessage_ForgotPassword message
            folder = f"{len(self.messages) + 1:03d}-{sent.trigger_source.rpartition('_')[2]}"
            message = DeliveredMessage(**asdict(sent), folder=folder)
            target = self.root / folder
            target.mkdir(parents=True, exist_ok=True)
            # The part that went to the user's one destination: an e-mail to an address or an SMS to a phone number.
            if message.email_to and message.undelivered is None:
                (target / "email.html").write_text(self._with_local_logos(message.email_html), encoding="utf-8")
                (target / "email.txt").write_text(message.email_text + "\n", encoding="utf-8")
            if message.phone_to and message.undelivered is None:
                (target / "sms.txt").write_text(message.sms + "\n", encoding="utf-8")
            (target / "message.json").write_text(
                json.dumps(
                    {
                        "username": message.username,
                        "triggerSource": message.trigger_source,
                        "to": message.email_to,
                        "smsTo": message.phone_to,
                        "subject": message.subject,
                        "sms": message.sms if message.phone_to else None,
                        "tailored": message.tailored,
                        "smsTailored": message.sms_tailored,
                        "delivered": message.undelivered is None,
                        "notDeliveredBecause": message.undelivered,
                    },
                    indent=2,
                    ensure_ascii=False,
                )
                + "\n",
                encoding="utf-8",
            )
            self.messages.append(message)
            self._write_index()
        return message

    def _with_local_logos(self, page: str) -> str:
        for url, source in self.logos.items():
            if url in page:
                copy = self.root / "logos" / source.name
                if not copy.exists():
                    copy.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(source, copy)
                page = page.replace(url, f"../logos/{source.name}")
        return page

    def _write_index(self) -> None:
        rows = "\n".join(
            "<tr><td>{n}</td><td>{to}</td><td>{src}</td><td>{subject}</td><td>{sms}</td><td>{kind}</td></tr>".format(
                n=html.escape(m.folder),
                to="<br>".join(html.escape(address) for address in (m.email_to, m.phone_to) if address),
                src=html.escape(m.trigger_source),
                subject=(
                    "(sent by SMS: no e-mail)"
                    if not m.email_to
                    else html.escape(m.subject)
                    if m.undelivered
                    else f'<a href="{html.escape(m.folder)}/email.html">{html.escape(m.subject)}</a>'
                ),
                sms=html.escape(m.sms) if m.phone_to else "(sent by e-mail: no SMS)",
                kind=(
                    f"NOT DELIVERED: {html.escape(m.undelivered)}"
                    if m.undelivered
                    else f"e-mail: {_origin(m.tailored)}"
                    if m.email_to
                    else f"SMS: {_origin(m.sms_tailored)}"
                ),
            )
            for m in self.messages
        )
        page = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Local outbox</title>'
            "<style>body{font-family:sans-serif;margin:2em}td,th{border-bottom:1px solid #ddd;padding:.4em;"
            "text-align:left;vertical-align:top}</style></head><body><h1>Local outbox</h1>"
            f"<p>{len(self.messages)} message(s) the local Cognito sent since it started, newest last"
            f" ({sum(m.undelivered is not None for m in self.messages)} not delivered).</p>"
            "<table><tr><th>#</th><th>to</th><th>trigger</th><th>subject (opens the e-mail)</th><th>SMS</th>"
            f"<th>message</th></tr>{rows}</table></body></html>\n"
        )
        self.index.write_text(page, encoding="utf-8")
