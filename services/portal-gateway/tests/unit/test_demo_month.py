"""The demo month's plan: a service desk's shape, the same on every desk, each
incident's story in order and within the month, each assignment to an agent online."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from uuid import NAMESPACE_URL, uuid5

from desk_contracts.enums import Status, Visibility
from desk_contracts.messages import SeedIncidentHistory, SeedPresenceHistory
from portal_gateway.domain import demo_month
from portal_gateway.seed import HISTORY_BATCH, category_id, demo_id

TODAY = datetime(2026, 12, 3, 6, 30, tzinfo=UTC)
IDS = demo_month.Ids(
    user=lambda name: demo_id(f"user:{name}"),
    category=category_id,
    incident=lambda n: uuid5(NAMESPACE_URL, f"test:{n}"),
    organization=lambda key: uuid5(NAMESPACE_URL, f"organization:{key}"),
)
INCIDENTS, STRETCHES = demo_month.plan(TODAY, IDS)
MIDNIGHT = datetime(2026, 12, 3, tzinfo=UTC)


def test_a_few_hundred_incidents_in_the_four_weeks_before_today() -> None:
    assert 300 <= len(INCIDENTS) <= 600
    assert len({i.incident_id for i in INCIDENTS}) == len(INCIDENTS)
    assert min(i.registered_at for i in INCIDENTS) >= MIDNIGHT - timedelta(days=28)
    assert max(c.at for i in INCIDENTS for c in i.changes) < MIDNIGHT
    # The same plan on every desk seeded the same day.
    assert demo_month.plan(TODAY + timedelta(hours=5), IDS)[0] == INCIDENTS


def test_busy_weekday_mornings_and_quiet_weekends() -> None:
    by_day = Counter(i.registered_at.weekday() for i in INCIDENTS)
    assert by_day[0] == max(by_day.values())  # Mondays
    assert by_day[5] + by_day[6] < by_day[2] / 4
    by_hour = Counter(i.registered_at.hour for i in INCIDENTS)
    assert by_hour[10] > 3 * by_hour[18]
    assert by_hour[10] > 10 * by_hour[3]


def test_each_story_runs_in_order_and_ends_closed() -> None:
    for incident in INCIDENTS:
        statuses = [c.status for c in incident.changes]
        assert statuses == [Status.ASSIGNED, Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED]
        times = [incident.registered_at, incident.assigned_at, *(c.at for c in incident.changes)]
        assert times == sorted(times)
        assert incident.changes[0].at == incident.assigned_at
        first_answer = min(e.at for e in incident.entries if e.visibility is Visibility.PUBLIC)
        assert incident.assigned_at < first_answer < incident.changes[2].at
        if incident.rating is not None:
            assert incident.changes[2].at < incident.rating.at < incident.changes[3].at


def test_assigned_to_an_agent_online_who_may_take_it() -> None:
    online: dict[object, list[tuple[datetime, datetime]]] = {}
    for stretch in STRETCHES:
        online.setdefault(stretch.agent_id, []).append((stretch.started_at, stretch.ended_at))
    anna = demo_id("user:anna")
    for incident in INCIDENTS:
        spans = online[incident.assignee_id]
        assert any(b <= incident.assigned_at < e for b, e in spans)
        if incident.assignee_id == anna:
            assert incident.category_id in {
                category_id(t.path)
                for t in demo_month.TOPICS
                if t.path[0] in ("fault", "consultation")
            }
    # Nobody is online at night, so a night's incidents wait for the morning shift.
    assert all(8 <= s.started_at.hour <= 11 for s in STRETCHES)


def test_some_answered_late_some_rated_across_channels() -> None:
    waits = [
        min(e.at for e in i.entries if e.visibility is Visibility.PUBLIC) - i.registered_at
        for i in INCIDENTS
    ]
    assert sum(w > timedelta(hours=2) for w in waits) >= 20
    rated = [i.rating.score for i in INCIDENTS if i.rating is not None]
    assert len(INCIDENTS) / 4 < len(rated) < len(INCIDENTS) * 3 / 4
    assert min(rated) <= 3
    assert max(rated) == 5
    assert len({i.channel for i in INCIDENTS}) >= 5
    assert len({i.category_id for i in INCIDENTS}) == len(demo_month.TOPICS)


def test_the_messages_carry_it_within_their_limits() -> None:
    for start in range(0, len(INCIDENTS), HISTORY_BATCH):
        SeedIncidentHistory(incidents=INCIDENTS[start : start + HISTORY_BATCH])
    SeedPresenceHistory(stretches=STRETCHES)


def test_both_demo_organizations_have_their_month() -> None:
    by_organization = Counter(i.organization_id for i in INCIDENTS)
    second = IDS.organization("globex")
    assert set(by_organization) == {IDS.organization("acme"), second}
    assert len(INCIDENTS) / 5 < by_organization[second] < len(INCIDENTS) / 3
    greta = IDS.user("greta")
    assert all((i.requester_id == greta) == (i.organization_id == second) for i in INCIDENTS)
