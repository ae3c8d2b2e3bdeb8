"""The shared ClientMetadata contract: strict for the sender, forgiving for the reader, one set of rules."""

from __future__ import annotations

import pytest

from contracts.client_metadata import KNOWN_REASONS, Reason, ResetMetadata, metadata_errors, strip_control_characters

VALID = {"reason": "security_incident", "locale": "de-AT", "brand": "acme", "reference": "SEC-4211"}


def test_a_valid_map_has_no_errors_and_reads_back_whole() -> None:
    assert metadata_errors({**VALID, "link": "https://reset.example.com/p", "ticket": "anything"}) == []
    assert ResetMetadata.from_client_metadata(VALID) == ResetMetadata(
        reason="security_incident", locale="de-AT", brand="acme", reference="SEC-4211"
    )
    assert ResetMetadata.from_client_metadata(VALID).reason == Reason.SECURITY_INCIDENT
    assert Reason.SECURITY_INCIDENT in KNOWN_REASONS


@pytest.mark.parametrize("raw", [None, [], "reason", 42, {"reason": None}, {"locale": ["de"]}])
def test_the_reader_never_fails_on_junk(raw: object) -> None:
    assert ResetMetadata.from_client_metadata(raw) == ResetMetadata()


def test_the_reader_drops_exactly_the_values_the_sender_would_refuse() -> None:
    raw = {
        "reason": "Security Incident!",
        "locale": "de-AT",
        "brand": "ACME",
        "link": "http://x.example",
        "reference": "ok",
    }

    assert ResetMetadata.from_client_metadata(raw) == ResetMetadata(locale="de-AT", reference="ok")
    assert sorted(error.split(":")[0] for error in metadata_errors(raw)) == [
        "clientMetadata.brand",
        "clientMetadata.link",
        "clientMetadata.reason",
    ]


def test_an_unknown_reason_is_kept_but_not_known() -> None:
    metadata = ResetMetadata.from_client_metadata({"reason": "offboarding"})

    assert metadata.reason == "offboarding"
    assert metadata.reason not in KNOWN_REASONS


def test_control_and_format_characters_are_stripped() -> None:
    assert strip_control_characters("SEC\n-42\u202e11\u200d\x00") == "SEC-4211"
