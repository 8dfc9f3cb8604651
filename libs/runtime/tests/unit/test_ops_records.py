"""Pure parts of operations: reading the broker's dead-letter bookkeeping, the replayed
message's headers, the management API's answer, and following one incident in logs."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from uuid import uuid4

from desk_contracts import Envelope
from desk_contracts.messages import IncidentAssigned
from desk_contracts.topology import consumer_queue, dead_letter_queue
from desk_runtime.deadletters import (
    REPLAYS_HEADER,
    describe,
    expected_queues,
    management_queues_url,
    replay_headers,
    states_from_management,
)
from desk_runtime.ops_cli import follow, parse_lines, render_line
from hypothesis import given
from hypothesis import strategies as st

QUEUE = consumer_queue("desk", "notify", IncidentAssigned)
DEAD = dead_letter_queue(QUEUE)


def _assigned() -> Envelope[IncidentAssigned]:
    return Envelope.wrap(
        IncidentAssigned(
            incident_id=uuid4(), agent_id=uuid4(), reason="t", assigned_at=datetime.now(UTC)
        ),
        producer="test",
    )


def _x_death(reason: str, count: int = 1) -> list[dict[str, object]]:
    return [
        {
            "count": count,
            "reason": reason,
            "queue": QUEUE,
            "time": datetime(2026, 1, 2, 3, 4, 5),
            "exchange": "desk.events",
            "routing-keys": [b"incident.assigned"],
        }
    ]


def test_a_dead_letter_after_the_delivery_limit_is_described_from_its_headers() -> None:
    envelope = _assigned()
    body = envelope.model_dump_json().encode()
    headers = {"x-death": _x_death("delivery_limit"), "x-first-death-reason": "delivery_limit"}
    letter = describe(DEAD, body, headers, str(envelope.message_id), "c-1")
    assert letter.key == str(envelope.message_id)
    assert letter.original_queue == QUEUE
    assert letter.routing_key == "incident.assigned"
    assert letter.reason == "delivery_limit"
    assert "redeliveries" in letter.explanation
    assert letter.died_at == "2026-01-02T03:04:05+00:00"
    assert letter.message_type == "incident.assigned"
    assert letter.incident_id == str(envelope.payload.incident_id)
    assert letter.validation_error is None
    assert letter.replays == 0
    assert letter.size == len(body)


def test_a_body_that_does_not_validate_says_which_field() -> None:
    letter = describe(DEAD, b'{"payload": {"incident_id": "nope"}}', {}, None, None)
    # No headers: the queue name says where it came from; no id: a digest names it.
    assert letter.original_queue == QUEUE
    assert letter.reason == "unknown"
    assert letter.key.startswith("body-")
    assert letter.validation_error is not None
    assert "payload" in letter.validation_error


def test_a_body_that_is_not_json_is_shown_as_text() -> None:
    letter = describe(DEAD, b"\xff\xfegarbage", {"x-death": _x_death("rejected")}, "m", None)
    assert isinstance(letter.payload, str)
    assert letter.reason == "rejected"
    assert letter.validation_error is not None


@given(st.binary(max_size=200))
def test_any_body_is_described_without_failing(body: bytes) -> None:
    letter = describe(DEAD, body, {"x-death": "not a list"}, None, None)
    assert letter.key == describe(DEAD, body, None, None, None).key
    assert letter.deaths == 1


def test_replay_headers_drop_the_broker_bookkeeping_and_count_replays() -> None:
    headers = {
        "x-death": _x_death("delivery_limit"),
        "x-first-death-reason": "delivery_limit",
        "x-first-death-queue": QUEUE,
        "x-last-death-reason": "delivery_limit",
        "x-delivery-count": 5,
        "traceparent": "00-abc",
    }
    once = replay_headers(headers)
    assert once == {"traceparent": "00-abc", REPLAYS_HEADER: 1}
    assert replay_headers(once)[REPLAYS_HEADER] == 2
    assert replay_headers(None) == {REPLAYS_HEADER: 1}


def test_management_answer_is_joined_with_the_queues_the_desk_needs() -> None:
    expected = expected_queues("desk")
    items = [
        {
            "name": QUEUE,
            "messages": 7,
            "messages_ready": 5,
            "messages_unacknowledged": 2,
            "consumers": 3,
            "message_stats": {
                "publish_details": {"rate": 1.5},
                "deliver_get_details": {"rate": 1.25},
            },
        },
        {"name": DEAD, "messages": 1, "messages_ready": 1, "consumers": 0},
        {"name": "someone-else.queue", "messages": 99},
    ]
    states = {s.name: s for s in states_from_management("desk", items)}
    assert set(states) == {name for _, name, _ in expected}
    assigned = states[QUEUE]
    assert (assigned.messages_ready, assigned.messages_unacknowledged) == (5, 2)
    assert (assigned.consumers, assigned.publish_rate, assigned.deliver_rate) == (3, 1.5, 1.25)
    assert assigned.dead_letter_queue == DEAD
    assert states[DEAD].kind == "dead-letters"
    assert states[DEAD].publish_rate is None
    missing = [s for s in states.values() if s.name not in (QUEUE, DEAD)]
    assert missing
    assert all(s.error == "not declared on the broker" for s in missing)


def test_management_url_names_the_vhost() -> None:
    assert (
        management_queues_url("http://u:p@host:15672/", "amqp://g:g@h:5672/")
        == "http://u:p@host:15672/api/queues/%2F"
    )
    assert (
        management_queues_url("http://host:15672", "amqp://g:g@h:5672/desk")
        == "http://host:15672/api/queues/desk"
    )


def _json(**fields: str) -> str:
    return json.dumps({"timestamp": "t", "level": "info", **fields})


def test_following_an_incident_takes_the_lines_that_share_its_correlation() -> None:
    lines = [
        _json(service="portal-gateway", event="request", correlation_id="c1"),
        _json(service="intake", event="created", correlation_id="c1", incident_id="i1"),
        _json(service="sla", event="message_handled", correlation_id="c1", incident_id="i1"),
        _json(service="notify", event="message_handled", correlation_id="c2", incident_id="i2"),
        "Traceback (most recent call last):",
        _json(service="routing", event="unrelated"),
    ]
    records = list(parse_lines(lines))
    assert len(records) == 5
    found = follow(records, incident="i1")
    assert [r["service"] for r in found] == ["portal-gateway", "intake", "sla"]
    assert [r["service"] for r in follow(records, message="nothing")] == []
    assert len(follow(records)) == 5


def test_combined_output_of_desk_run_is_understood_in_both_forms() -> None:
    lines = [
        'notify        | {"event": "sent", "incident_id": "i1", "level": "info"}',
        "routing-2     | 12:00:00.000 info    message_handled incident_id=i1 queue=q",
        "sla           | 2026-01-01 12:00:00,000 INFO - consume waiting",
        "portal-gateway| 12:00:01.000 info    request correlation_id=c9",
    ]
    records = list(parse_lines(lines))
    assert [r["service"] for r in records] == ["notify", "routing-2", "portal-gateway"]
    found = follow(records, incident="i1")
    assert [r["service"] for r in found] == ["notify", "routing-2"]
    # A readable line is printed as it was.
    assert render_line(found[1]) == lines[1]
    assert "incident_id=i1" in render_line(found[0])
