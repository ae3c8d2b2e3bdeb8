"""The reset link: only https, only allowlisted hosts (exact match), no user info or port tricks, values encoded."""

from __future__ import annotations

import pytest

from contracts.cognito import CODE_PLACEHOLDER
from custom_message.links import build_reset_link

ALLOWED = frozenset({"reset.example.com"})


def link(base: str | None, *, code: str | None = CODE_PLACEHOLDER, username: str | None = "alice") -> str | None:
    return build_reset_link(base, code=code, username=username, allowed_hosts=ALLOWED)


def test_allowed_link_gets_code_placeholder_verbatim_and_username_encoded() -> None:
    assert (
        link("https://reset.example.com/password", username="a+b@example.com")
        == "https://reset.example.com/password?code={####}&username=a%2Bb%40example.com"
    )


def test_existing_query_and_fragment_are_kept() -> None:
    assert (
        link("https://reset.example.com/p?tenant=blue#form")
        == "https://reset.example.com/p?tenant=blue&code={####}&username=alice#form"
    )


def test_host_matches_case_insensitively_and_an_empty_path_becomes_slash() -> None:
    assert link("https://RESET.Example.COM") == "https://reset.example.com/?code={####}&username=alice"


def test_a_code_that_is_not_a_placeholder_is_percent_encoded() -> None:
    assert link("https://reset.example.com/p", code="12 34&x=1", username=None) == (
        "https://reset.example.com/p?code=12%2034%26x%3D1"
    )


def test_welcome_links_carry_no_code() -> None:
    assert link("https://reset.example.com/p", code=None) == "https://reset.example.com/p?username=alice"


@pytest.mark.parametrize(
    "base",
    [
        "http://reset.example.com/password",
        "https://evil.example.net/password",
        "https://reset.example.com.evil.example.net/",
        "https://evilreset.example.com/",
        "https://sub.reset.example.com/",
        "https://reset.example.com@evil.example.net/",
        "https://evil.example.net@reset.example.com/",
        "https://user:pass@reset.example.com/",
        "https://reset.example.com:443/",
        "https://reset.example.com:8443/",
        "https://reset.example.com./",
        "https://reset.example.com\\@evil.example.net/",
        "https:/reset.example.com/",
        "https:///reset.example.com/",
        "//reset.example.com/",
        "javascript:alert(1)//reset.example.com",
        'https://reset.example.com/"onmouseover="alert(1)',
        "https://reset.example.com/<script>",
        "https://reset.example.com/ space",
        "https://rését.example.com/",
        "https://[::1]/",
        "",
        None,
    ],
)
def test_anything_else_is_dropped(base: str | None) -> None:
    assert link(base) is None


def test_an_empty_allowlist_renders_no_link_at_all() -> None:
    assert (
        build_reset_link("https://reset.example.com/", code=CODE_PLACEHOLDER, username="a", allowed_hosts=frozenset())
        is None
    )
