"""The shared ClientMetadata contract: strict for the sender, forgiving for the reader, one set of rules."""

from __future__ import annotations

import pytest

from contracts.client_metadata import KNOWN_REASONS, Reason, ResetMetadata, metadata_errors, strip_control_characters
from contracts.patterns import is_safe_text

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


UNSAFE = ["\x00", "\n", "\x7f", "\x85", "\x9f", "\u200b", "\u200d", "\u2060", "\ufeff", "\u202e", "\u2067", "\u2028"]
UNSAFE += ["\u2029", "\ud800", "\udfff"]


@pytest.mark.parametrize("character", UNSAFE, ids=[f"U+{ord(c):04X}" for c in UNSAFE])
def test_unsafe_text_is_every_control_format_or_separator_character_and_every_lone_surrogate(character: str) -> None:
    assert not is_safe_text(f"SEC{character}4211")
    assert strip_control_characters(f"SEC{character}4211") == "SEC4211"


@pytest.mark.parametrize(
    "text", ["", "SEC-4211", "Zoë Müller", "用户", "\U0001f98a", "a\u00a0b", "مرحبا", "x" * 600], ids=repr
)
def test_text_in_any_script_is_safe(text: str) -> None:
    assert is_safe_text(text)
    assert strip_control_characters(text) == text


@pytest.mark.parametrize("character", UNSAFE, ids=[f"U+{ord(c):04X}" for c in UNSAFE])
def test_the_sender_refuses_and_the_reader_drops_a_value_with_unsafe_text(character: str) -> None:
    raw = {"reference": f"SEC{character}4211", "link": f"https://reset.example.com/{character}", "ticket": character}

    assert metadata_errors(raw) == [
        "clientMetadata.reference: must be 1-128 printable characters",
        "clientMetadata.link: must be an https:// URL without spaces",
        "clientMetadata.ticket: has a control, format or separator character, or a lone surrogate",
    ]
    assert ResetMetadata.from_client_metadata(raw) == ResetMetadata()


def test_a_lone_surrogate_is_refused_before_the_byte_count_could_fail_on_it() -> None:
    raw = {f"k{i}": "\ud800" * 500 for i in range(10)}

    errors = metadata_errors(raw)

    assert len(errors) == 10
    assert all(error.endswith("a lone surrogate") for error in errors)


def test_no_error_quotes_a_value() -> None:
    secret = "leaked.person@example.com"
    raw = {"reference": secret + "\u202e", "locale": secret, "ticket": secret + "\x85", "brand": secret}

    assert all(secret not in error for error in metadata_errors(raw))
