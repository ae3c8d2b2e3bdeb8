"""The request rule's pattern, as synthesized, against EventBridge's matching (moto's implementation of it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import pytest
from moto.events.models import EventPattern
from moto.events.utils import EventMessageType

from contracts.events import AUDIT_SOURCE, RESET_COMPLETED
from tests.infra.conftest import Synthesized

SAMPLE_EVENT = Path(__file__).parent / "events" / "password_reset_requested.json"


@pytest.fixture(scope="module")
def pattern(new_pool: Synthesized) -> EventPattern:
    return EventPattern.load(json.dumps(new_pool.properties("Requests/Rule")["EventPattern"]))


def sample(**changes: Any) -> EventMessageType:
    event = json.loads(SAMPLE_EVENT.read_text())
    assert isinstance(event, dict)
    event.update(changes)
    return cast(EventMessageType, event)


def test_the_documented_sample_request_matches(pattern: EventPattern) -> None:
    assert pattern.matches_event(sample())


@pytest.mark.parametrize(
    "changes",
    [
        {"source": "com.example.unknown"},
        {"source": AUDIT_SOURCE},  # the function's own audit events
        {"detail-type": RESET_COMPLETED},
        {"detail-type": "password reset requested"},
    ],
)
def test_other_sources_and_detail_types_do_not_match(pattern: EventPattern, changes: dict[str, Any]) -> None:
    assert not pattern.matches_event(sample(**changes))


def test_the_sample_is_the_one_the_deploy_guide_sends() -> None:
    guide = (Path(__file__).parents[2] / "docs" / "deploy.md").read_text()
    event = json.loads(SAMPLE_EVENT.read_text())
    assert f'"Source": "{event["source"]}"' in guide
    assert f'"DetailType": "{event["detail-type"]}"' in guide
