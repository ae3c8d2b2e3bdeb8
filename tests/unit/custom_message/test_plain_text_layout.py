"""The plain-text e-mail of every message in every locale: the greeting is a line of its own, followed by a blank line,
with and without the user's name (a block tag at the end of a line eats the line break after it)."""

from __future__ import annotations

import pytest

from contracts.cognito import CODE_PLACEHOLDER, USERNAME_PLACEHOLDER
from custom_message.brands import load_brand_book
from custom_message.templates import TemplateLibrary

LIBRARY = TemplateLibrary(compiled=None)
BRAND = load_brand_book().brands["acme"]


@pytest.mark.parametrize("key", sorted(LIBRARY.variants()), ids="/".join)
@pytest.mark.parametrize("given_name", ["Alice", None])
def test_the_greeting_stands_on_its_own_line_before_a_blank_one(key, given_name) -> None:
    context = {
        "code": CODE_PLACEHOLDER,
        "username": USERNAME_PLACEHOLDER,
        "given_name": given_name,
        "reference": None,
        "link": None,
        "link_parameter": None,
        "brand": BRAND,
        "reason": key.variant,
        "locale": key.locale,
        "layout": f"{key.locale}/layout.html",
    }
    lines = LIBRARY.render(key, "body.txt", context).split("\n")
    assert lines[0].strip(), lines[:3]
    assert lines[1] == "", lines[:3]
    assert (given_name or "") in lines[0]
