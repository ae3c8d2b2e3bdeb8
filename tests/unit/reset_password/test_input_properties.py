"""Property-based: whatever JSON arrives, in any of the three shapes, the reset function answers with results (never an
undocumented exception), a refused request's errors name fields, and no value of a refused request comes back.

Every free-form string the strategies write (values, unknown keys, metadata keys) carries MARKER, a character no
message of the function contains: wherever MARKER shows up in a refused request's result, or in any log line or metric,
a value of the input got through. Known-safe tokens (field names, and values the contract accepts) are drawn without it.
"""

from __future__ import annotations

import io
import json
import re
import sys
from collections.abc import Iterator
from contextlib import redirect_stdout
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from contracts.events import RESET_REQUESTED
from contracts.results import FailureReason, ResetStatus
from reset_password.handler import build_handler
from reset_password.ledger import Ledger
from reset_password.logic import ResetDependencies
from reset_password.requests import REQUEST_FIELDS
from reset_password.retry import Backoff, RetryPolicy
from reset_password.settings import ResetSettings
from tests.lambda_context import LambdaContext
from tests.unit.reset_password.conftest import POOL, UNCREATED_POOL
from tests.unit.reset_password.fakes import FakeCognito, InMemoryLedgerTable, RecordingAuditTrail

MARKER = "\u2603"  # SNOWMAN: a symbol (So), so it is also allowed inside a username, a requestId or an e-mail
# Distinctive values without MARKER: must never come back from a refused request either (an e-mail as a pool id).
DISTINCTIVE = ("leaked.person@example.com", "TOKEN-8f3a1c9e77", "+15550199731")

# ---- what "names its field" means --------------------------------------------------------------------------------
# A clause of a refused request's detail is "<field>: <problem>", and <field> is one of:
# - a field of the request as contract 1 spells it, or "request" for the request as a whole;
# - "Items", "BatchInput" (the batch shape), "event" or a field of the EventBridge envelope;
# - "clientMetadata.<key>" for a well-formed metadata key (letters, digits, '_', starting with a letter, at most 64);
# - an ASCII field name of the request in other letter case ("dryrun"): a slip, never anyone's data.
ENVELOPE_FIELDS = {"version", "id", "source", "account", "time", "region", "resources", "detail-type", "detail"}
NAMED_FIELDS = {*REQUEST_FIELDS, "request", "Items", "BatchInput", "event", *ENVELOPE_FIELDS, "replay-name"}
CLAUSE = re.compile(r"(?P<field>[^:;]+): \S.*")
METADATA_FIELD = re.compile(r"clientMetadata\.[A-Za-z][A-Za-z0-9_]{0,63}")


def names_its_field(clause: str) -> bool:
    match = CLAUSE.fullmatch(clause)
    if match is None:
        return False
    field = match["field"]
    slip = field.isascii() and field.lower() in {name.lower() for name in REQUEST_FIELDS}
    return field in NAMED_FIELDS or METADATA_FIELD.fullmatch(field) is not None or slip


# ---- strategies ------------------------------------------------------------------------------------------------
# Any code point, lone surrogates, controls, format characters and unassigned ones included.
any_character = st.characters(exclude_categories=())
# One of each family is_safe_text refuses: C0, DEL, C1, zero-width, BOM, bidi, line/paragraph separator, surrogates.
unsafe_character = st.sampled_from(
    "\x00\n\x7f\x85\x9f\u200b\u200d\u2060\ufeff\u202e\u2066\u2028\u2029\ud800\udbff\udc00\udfff"
)


def tainted(text: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Free text with MARKER at some position."""
    return st.tuples(text, text).map(lambda parts: parts[0] + MARKER + parts[1])


free_text = tainted(st.text(any_character, max_size=20)) | tainted(st.text(unsafe_character, max_size=3))
# Longer than any field allows (the huge ones are in test_extreme_input_is_answered_without_echo).
long_text = st.text(st.sampled_from("ab@.\ud800"), min_size=100, max_size=400).map(lambda text: text + MARKER)
hostile_text = free_text | long_text | st.sampled_from(DISTINCTIVE)
scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | hostile_text
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(free_text, children, max_size=4),
    max_leaves=10,
)

FAKE_SUB = "00000000-0000-4000-8000-000000000000"  # alice's, as the fake hands it out
# Values the contract accepts, some of which the fakes know (alice resets, bob has no verified contact, ghost is no
# one, the uncreated pool is allowed but missing, the other pool is not allowed). A valid value may carry MARKER: a
# request that passes validation is answered with its username and requestId (contract 2).
valid_values: dict[str, st.SearchStrategy[Any]] = {
    "username": st.sampled_from(["alice", "bob", "ghost", "Alice", f"u{MARKER}x"]),
    "email": st.sampled_from(["alice@example.com", "bob@example.com", f"e{MARKER}@example.com"]),
    "sub": st.sampled_from([FAKE_SUB, "11111111-2222-4333-8444-555555555555"]),
    "userPoolId": st.sampled_from([POOL, UNCREATED_POOL, "eu-west-1_NotAllowed1"]),
    "clientMetadata": st.dictionaries(
        st.sampled_from(["reason", "locale", "brand", "reference", "ticket"]),
        st.sampled_from(["security_incident", "de", "acme"]),
        max_size=3,
    ),
    "globalSignOut": st.booleans() | st.sampled_from(["true", "false"]),
    "requestId": st.sampled_from(["r-1", "r-2", f"r{MARKER}3"]),
    "dryRun": st.booleans(),
}
hostile_values: dict[str, st.SearchStrategy[Any]] = {
    "username": hostile_text | st.sampled_from(["", "x" * 129, "has space"]),
    "email": hostile_text | tainted(st.just("@example.com")),
    "sub": hostile_text | st.just("not-a-sub"),
    "userPoolId": hostile_text | st.just("bad"),
    "clientMetadata": st.dictionaries(
        st.sampled_from(["reason", "locale", "brand", "reference", "link", "ticket"]) | free_text,
        hostile_text | json_values,
        min_size=1,
        max_size=4,
    )
    | json_values,
    "globalSignOut": json_values,
    "requestId": hostile_text | st.just("r 1"),
    "dryRun": json_values,
}
# Keys: the request's fields, slips of them, free text and distinctive values (an e-mail as a field name).
field_names = st.one_of(
    st.sampled_from(REQUEST_FIELDS),
    st.sampled_from(["dryrun", "USERNAME", "globalSignout"]),
    free_text,
    st.sampled_from(DISTINCTIVE),
)


@st.composite
def nearly_valid_requests(draw: st.DrawFn) -> dict[Any, Any]:
    """A valid request (one identifier, some options) with up to two faults: a hostile value or an unknown key."""
    identifier = draw(st.sampled_from(["username", "email", "sub"]))
    request: dict[Any, Any] = {identifier: draw(valid_values[identifier])}
    for name in draw(
        st.lists(st.sampled_from(["userPoolId", "clientMetadata", "globalSignOut", "requestId", "dryRun"]))
    ):
        request[name] = draw(valid_values[name])
    for _ in range(draw(st.integers(0, 2))):
        name = draw(field_names)
        request[name] = draw(hostile_values.get(name, json_values))
    return request


@st.composite
def arbitrary_requests(draw: st.DrawFn) -> dict[Any, Any]:
    request: dict[Any, Any] = {}
    for name in draw(st.lists(field_names, max_size=6)):
        values = valid_values.get(name, json_values) | hostile_values.get(name, json_values)
        request[name] = draw(values)
    return request


# Half the requests are nearly valid, so that every outcome the fakes can give is reached, not only refusals.
request_like = st.one_of(nearly_valid_requests(), nearly_valid_requests(), arbitrary_requests(), json_values)


@st.composite
def eventbridge_events(draw: st.DrawFn) -> dict[str, Any]:
    event: dict[str, Any] = {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": draw(st.just(RESET_REQUESTED) | hostile_text),
        "source": "acme.siem",
        "account": "111122223333",
        "time": "2026-11-23T10:00:00Z",
        "region": "eu-west-1",
        "resources": [],
        "detail": draw(request_like),
    }
    for name in draw(st.lists(st.sampled_from(sorted(ENVELOPE_FIELDS - {"detail-type"})), max_size=2)):
        if draw(st.booleans()):
            event.pop(name, None)
        else:
            event[name] = draw(json_values)
    return event


batch_events = st.fixed_dictionaries(
    {"Items": st.lists(request_like, max_size=6) | json_values},
    optional={"BatchInput": st.fixed_dictionaries({}, optional=valid_values) | arbitrary_requests() | json_values},
)


# ---- running the function --------------------------------------------------------------------------------------
class StrictUtf8Stdout(io.StringIO):
    """Lambda's stdout: text that cannot be encoded to UTF-8 (a lone surrogate) is a failure, recorded here because
    logging swallows errors raised by a stream."""

    def __init__(self) -> None:
        super().__init__()
        self.unencodable: list[str] = []

    def write(self, text: str) -> int:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            self.unencodable.append(text.encode("unicode_escape").decode("ascii"))
        return super().write(text)


def fresh_dependencies() -> ResetDependencies:
    """The conftest's dependencies, built per example (Hypothesis runs many examples in one test call)."""
    cognito = FakeCognito()
    cognito.pools[POOL] = {}
    cognito.add_user(POOL, "alice", attributes={"email": "alice@example.com", "email_verified": "true"})
    cognito.add_user(POOL, "bob", attributes={"email": "bob@example.com", "email_verified": "false"})
    return ResetDependencies(
        directory=cognito,
        settings=ResetSettings(default_user_pool_id=POOL, allowed_user_pool_ids=frozenset({POOL, UNCREATED_POOL})),
        ledger=Ledger(InMemoryLedgerTable(), cooldown_seconds=3600, lease_seconds=30.0),
        audit=RecordingAuditTrail(),
        backoff=Backoff(policy=RetryPolicy(max_attempts=2, base_delay=0.0), sleep=lambda _: None, jitter=lambda: 1.0),
    )


def invoke(event: object) -> tuple[dict[str, Any], str]:
    """The handler's answer and everything it wrote to stdout. With the fakes nothing transient or unclassified can
    happen, so any exception at all (the two documented ones included) fails the property."""
    deps = fresh_dependencies()
    stdout = StrictUtf8Stdout()
    with redirect_stdout(stdout):
        answer = build_handler(lambda: deps)(event, LambdaContext())
    assert stdout.unencodable == [], "a log line or metric could not be written to a UTF-8 stdout"
    return answer, stdout.getvalue()


def strings_in(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings_in(key)
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


RESULT_KEYS = {"username", "userPoolId", "status", "reason", "signedOut", "duplicate", "requestId", "detail"}


def assert_result_is_sound(result: dict[str, Any]) -> None:
    assert result.keys() >= RESULT_KEYS
    assert result["status"] in {status.value for status in ResetStatus}
    json.dumps(result, ensure_ascii=False).encode("utf-8")  # Lambda can return it
    if result["reason"] != FailureReason.INVALID_REQUEST:
        return
    assert result["status"] == ResetStatus.FAILED
    assert result["detail"], "a refused request says why"
    for clause in result["detail"].split("; "):
        assert names_its_field(clause), clause
    if result["userPoolId"] is not None:
        return  # a valid request that Cognito refused: its values passed validation and may be echoed (contract 2)
    for text in strings_in(result):
        assert MARKER not in text, result
        assert all(value not in text for value in DISTINCTIVE), result


def assert_nothing_of_the_input_was_written(output: str) -> None:
    """Log lines and metrics carry codes, hashes and field names: no input value, whatever became of the request."""
    assert MARKER not in output
    assert "\\u2603" not in output  # nor its JSON escape
    for value in DISTINCTIVE:
        assert value not in output


def results_of(answer: dict[str, Any]) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = answer.get("results", [answer])
    return results


def record(answer: dict[str, Any]) -> None:
    """What the examples reached: pytest --hypothesis-show-statistics lists it."""
    for result in results_of(answer):
        event(f"{result['status']} {result['reason'] or ''}".strip())


# ---- the properties --------------------------------------------------------------------------------------------
EXAMPLES = settings(max_examples=300, deadline=None)


@EXAMPLES
@given(event=request_like)
def test_any_json_as_a_single_request_gets_one_sound_result(event: object) -> None:
    answer, output = invoke(event)

    record(answer)
    assert_result_is_sound(answer)  # no drawn key is "Items" or "detail-type": this is always the plain shape
    assert_nothing_of_the_input_was_written(output)


@EXAMPLES
@given(event=eventbridge_events())
def test_any_eventbridge_event_gets_one_sound_result(event: dict[str, Any]) -> None:
    answer, output = invoke(event)

    record(answer)
    assert_result_is_sound(answer)
    assert_nothing_of_the_input_was_written(output)


@EXAMPLES
@given(event=batch_events)
def test_any_batch_gets_one_sound_result_per_item_in_order(event: dict[str, Any]) -> None:
    answer, output = invoke(event)

    record(answer)
    items, defaults = event["Items"], event.get("BatchInput") or {}
    if isinstance(items, list) and isinstance(defaults, dict):
        assert len(answer["results"]) == len(items)
        assert sum(answer["counts"].values()) == len(items)
        for item, result in zip(items, answer["results"], strict=True):
            assert_result_is_sound(result)
            if not isinstance(item, dict):
                assert result["reason"] == FailureReason.INVALID_REQUEST
    else:
        assert_result_is_sound(answer)  # the batch's own shape is refused, as one request
    assert_nothing_of_the_input_was_written(output)


@settings(max_examples=200, deadline=None)
@given(event=json_values)
def test_any_json_value_at_all_is_answered(event: object) -> None:
    answer, output = invoke(event)

    record(answer)
    for result in results_of(answer):
        assert_result_is_sound(result)
    assert_nothing_of_the_input_was_written(output)


# ---- the extremes Hypothesis does not reach --------------------------------------------------------------------
def nested(depth: int, leaf: object) -> object:
    value = leaf
    for _ in range(depth):
        value = {MARKER: [value]}
    return value


HUGE = MARKER + "x" * 1_000_000  # Lambda's synchronous payload limit is 6 MB


@pytest.mark.parametrize(
    "event",
    [
        {"username": HUGE},
        {"username": "alice", HUGE: True},
        {"username": "alice", "clientMetadata": {"reference": HUGE, "ticket": "\ud800" * 100_000}},
        {"username": "alice", "clientMetadata": {f"k{i}": MARKER for i in range(10_000)}},
        {"username": "alice", "requestId": "\ud800" * 100_000},
        {"Items": [{"username": HUGE}] * 3, "BatchInput": {"userPoolId": HUGE}},
        {"Items": [{"username": "alice", "userPoolId": POOL}] * 200},
        json.loads("[" * 900 + "]" * 900),  # about as deep as json.loads (Lambda's decoder) goes
        {"username": nested(400, MARKER)},
        {"username": "alice", MARKER: nested(5_000, MARKER)},  # deeper than any JSON decoder hands over
        {"Items": [nested(5_000, MARKER)]},
    ],
    ids=[
        "huge-username",
        "huge-field-name",
        "huge-metadata",
        "many-metadata-keys",
        "many-surrogates",
        "huge-batch-values",
        "long-batch",
        "deep-list",
        "deep-username",
        "deeper-than-json-field",
        "deeper-than-json-item",
    ],
)
def test_extreme_input_is_answered_without_echo(event: object) -> None:
    limit = sys.getrecursionlimit()
    answer, output = invoke(event)

    assert sys.getrecursionlimit() == limit
    for result in results_of(answer):
        assert_result_is_sound(result)
    assert_nothing_of_the_input_was_written(output)
