"""A deployment with the example message pack (messagePack): the local system renders the merged messages, as the
deployed bundle would, so a deployer sees their own wording and brand reach the user."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from local_aws.harness.synth import SynthesizedStack, synthesize
from local_aws.harness.system import SES_DEPLOYMENT, LocalSystem
from tests.e2e.conftest import running_with_users


@pytest.fixture(scope="module")
def pack_synthesized() -> SynthesizedStack:
    return synthesize({**SES_DEPLOYMENT, "messagePack": "examples/message-pack"})


@pytest.fixture
def pack_system(
    pack_synthesized: SynthesizedStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[LocalSystem]:
    yield from running_with_users(pack_synthesized, tmp_path / "outbox", monkeypatch)


def test_the_packs_brand_and_wording_reach_the_user_and_the_rest_stays_built_in(pack_system: LocalSystem) -> None:
    system = pack_system
    assert system.synthesized.message_pack is not None
    incident = {"reason": "security_incident", "locale": "de", "brand": "globex"}
    system.put_reset_request({"username": "lena", "clientMetadata": incident})
    system.put_reset_request({"username": "sam", "clientMetadata": {"reason": "policy_rotation", "brand": "globex"}})
    system.emulation.events.drain()

    lena, sam = sorted(system.outbox.messages, key=lambda message: message.username)
    # The pack's own German wording for a security incident, in the pack's brand.
    assert lena.subject == "Bitte wählen Sie ein neues Passwort für Globex"
    assert re.fullmatch(
        r"Globex: Ihr Passwort wurde nach einem Sicherheitsvorfall zurückgesetzt\. Code \d{6}, 1 Stunde gültig\.",
        lena.sms,
    )
    assert "#0b6e4f" in lena.email_html  # the pack brand's colour
    # A reason the pack leaves alone keeps the built-in wording, in the pack's brand.
    assert "Globex" in sam.sms
    assert "Hinweise darauf" not in sam.email_html
    assert system.user_status("lena") == system.user_status("sam") == "RESET_REQUIRED"
