"""The demo month: four weeks of incidents and agents' online stretches, the same on
every desk (a fixed random seed), counted back from the day the demo was first seeded.

The shape is a service desk's: busy weekday mornings (the busiest on Mondays), a
smaller after-lunch peak, quiet nights and weekends. The agents' shifts do not follow
it closely: mornings before the second agent arrives wait longest, so the staffing page
shows where the desk is under-staffed, the SLA report has late first answers where
the load is, and a night's or a weekend's incidents wait for the next shift. Every
incident ends resolved and closed (nothing of it is still running), most answered once,
some after a second exchange with the client, some rated.

Pure: `plan` yields the messages' contents; seed.py sends them once.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import TypeVar
from uuid import UUID

from desk_contracts.enums import Channel, Locale, Priority, Role, Status, Visibility
from desk_contracts.messages import (
    OnlineStretch,
    SeededChange,
    SeededEntry,
    SeededIncident,
    SeededRating,
)

T = TypeVar("T")

DAYS = 28
# Expected arrivals per hour of a weekday (UTC, the demo calendar's zone).
WEEKDAY_HOURS = (
    *(0.05, 0.05, 0.05, 0.05, 0.05, 0.1, 0.2, 0.6),  # 00-07
    *(1.6, 2.8, 3.2, 2.6, 1.4, 1.6, 2.0, 1.7),  # 08-15
    *(1.2, 0.8, 0.4, 0.3, 0.2, 0.1, 0.1, 0.05),  # 16-23
)
# Monday carries the weekend's backlog; Friday afternoon thins out; weekends are quiet.
DAY_FACTOR = (1.35, 1.0, 1.0, 0.95, 0.8, 0.12, 0.08)
CHANNELS = (
    (Channel.PORTAL, 45),
    (Channel.EMAIL, 30),
    (Channel.PHONE, 15),
    (Channel.CHAT, 7),
    (Channel.API, 3),
)
PRIORITIES = (
    (Priority.LOW, 15),
    (Priority.NORMAL, 60),
    (Priority.HIGH, 20),
    (Priority.CRITICAL, 5),
)


@dataclass(frozen=True)
class Topic:
    path: tuple[str, ...]
    weight: int
    en: str
    ru: str


TOPICS = (
    Topic(
        ("fault", "software"),
        30,
        "Accounting program shows an error",
        "Ошибка в бухгалтерской программе",
    ),
    Topic(
        ("fault", "software", "crash"),
        6,
        "The application closes at start",
        "Программа закрывается при запуске",
    ),
    Topic(("fault", "hardware"), 22, "Printer does not print", "Принтер не печатает"),
    Topic(("consultation",), 20, "How do I export the report", "Как выгрузить отчёт"),
    Topic(
        ("order", "development"), 6, "A new field on the invoice form", "Новое поле в форме счёта"
    ),
    Topic(("order",), 8, "A laptop for a new employee", "Ноутбук для нового сотрудника"),
    Topic(("complaint",), 4, "The engineer did not come", "Инженер не приехал"),
)


@dataclass(frozen=True)
class Person:
    username: str
    locale: Locale
    organization: str = "acme"


CLIENTS = (Person("alice", Locale.EN), Person("carl", Locale.RU))
# Every fourth incident is the second organization's (chosen by place, not by chance, so
# the month's shape is the same with or without it).
SECOND_ORGANIZATION = Person("greta", Locale.EN, "globex")

# Agents' shifts (UTC) per weekday: anna early, boris late, boris alone on Saturdays.
SHIFTS: dict[str, tuple[tuple[time, time] | None, ...]] = {
    "anna": ((time(8), time(16, 30)),) * 5 + (None, None),
    "boris": ((time(10, 30), time(19)),) * 5 + ((time(10), time(14)), None),
}
# Which demo agent takes what (anna: faults and consultations; boris everything).
ANNA_TAKES = (("fault",), ("consultation",))

WORDS = {
    Locale.EN: {
        "ask": "Since this morning it does not work. Please help.",
        "answer": "Thank you, we are looking into it and will write back shortly.",
        "more": "It happens again after a restart. A screenshot is attached.",
        "fix": "Fixed: the settings are restored. Please check on your side.",
        "note": "Checked the logs; the cause is found.",
        "good": "Quick and clear, thank you.",
        "slow": "Took too long to get an answer.",
    },
    Locale.RU: {
        "ask": "С утра не работает. Помогите, пожалуйста.",
        "answer": "Спасибо, разбираемся и скоро напишем.",
        "more": "После перезагрузки повторяется. Снимок экрана приложен.",
        "fix": "Исправлено: настройки восстановлены. Проверьте, пожалуйста, у себя.",
        "note": "Проверил журналы, причина найдена.",
        "good": "Быстро и понятно, спасибо.",
        "slow": "Ответа пришлось ждать слишком долго.",
    },
}


def _pick(rng: random.Random, weighted: tuple[tuple[T, int], ...]) -> T:
    return rng.choices([item for item, _ in weighted], [w for _, w in weighted])[0]


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method: enough for the few arrivals of an hour."""
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def shifts(start: datetime, days: int) -> dict[str, list[tuple[datetime, datetime]]]:
    """Each agent's online stretches over `days` days from `start` (UTC midnight)."""
    stretches: dict[str, list[tuple[datetime, datetime]]] = {name: [] for name in SHIFTS}
    for offset in range(days):
        day = start + timedelta(days=offset)
        for name, week in SHIFTS.items():
            shift = week[day.weekday()]
            if shift is not None:
                stretches[name].append(
                    (
                        datetime.combine(day.date(), shift[0], UTC),
                        datetime.combine(day.date(), shift[1], UTC),
                    )
                )
    return stretches


def _next_online(
    at: datetime, candidates: list[tuple[str, datetime, datetime]]
) -> tuple[str, datetime] | None:
    """The first of the candidates online at `at` or after it, and from when."""
    best: tuple[str, datetime] | None = None
    for name, begin, end in candidates:
        if end <= at:
            continue
        since = max(begin, at)
        if best is None or since < best[1]:
            best = (name, since)
    return best


@dataclass(frozen=True)
class Ids:
    """The demo's fixed ids: its users by name, categories by path, the month's
    incidents by their place in it, its organizations by key ("acme", "globex")."""

    user: Callable[[str], UUID]
    category: Callable[[tuple[str, ...]], UUID]
    incident: Callable[[int], UUID]
    organization: Callable[[str], UUID]


def plan(today: datetime, ids: Ids) -> tuple[tuple[SeededIncident, ...], tuple[OnlineStretch, ...]]:
    """The month before `today`'s UTC midnight: its incidents in order of registration
    and the agents' online stretches."""
    rng = random.Random(2026)
    end = datetime.combine(today.astimezone(UTC).date(), time(0), UTC)
    start = end - timedelta(days=DAYS)
    online = shifts(start, DAYS)
    windows = [(name, b, e) for name, spans in online.items() for b, e in spans]
    incidents: list[SeededIncident] = []
    # Answers queue up behind the hour's arrivals: a busy hour answers later.
    for offset in range(DAYS):
        day = start + timedelta(days=offset)
        for hour, mean in enumerate(WEEKDAY_HOURS):
            arrivals = _poisson(rng, mean * DAY_FACTOR[day.weekday()])
            for _ in range(arrivals):
                at = day + timedelta(hours=hour, seconds=rng.randrange(3600))
                made = _incident(rng, len(incidents), at, arrivals, end, windows, ids)
                if made is not None:
                    incidents.append(made)
    stretches = tuple(
        OnlineStretch(agent_id=ids.user(name), started_at=b, ended_at=e) for name, b, e in windows
    )
    return tuple(sorted(incidents, key=lambda i: i.registered_at)), stretches


def _incident(
    rng: random.Random,
    index: int,
    at: datetime,
    busy: int,
    end: datetime,
    windows: list[tuple[str, datetime, datetime]],
    ids: Ids,
) -> SeededIncident | None:
    topic = rng.choices(TOPICS, [t.weight for t in TOPICS])[0]
    priority = _pick(rng, PRIORITIES)
    channel = _pick(rng, CHANNELS)
    client = CLIENTS[rng.randrange(len(CLIENTS))]
    if index % 4 == 3:
        client = SECOND_ORGANIZATION
    takes_anna = any(topic.path[: len(p)] == p for p in ANNA_TAKES)
    candidates = [w for w in windows if w[0] == "boris" or takes_anna]
    placed = _next_online(at, candidates)
    if placed is None:
        return None
    agent, assigned_at = placed
    assigned_at += timedelta(seconds=rng.randrange(5, 90))
    # First answer: a quarter of an hour, plus a queue that grows with the hour's load.
    answered = assigned_at + timedelta(minutes=rng.uniform(5, 20) + busy * rng.uniform(6, 14))
    if priority is Priority.CRITICAL:
        answered = assigned_at + timedelta(minutes=rng.uniform(3, 25))
    words, staff, requester = WORDS[client.locale], ids.user(agent), ids.user(client.username)
    entries = [
        SeededEntry(at=answered, author_id=staff, author_role=Role.AGENT, text=words["answer"])
    ]
    work = timedelta(minutes=rng.lognormvariate(math.log(55), 0.6))
    resolved = answered + work
    if rng.random() < 0.25:  # a second exchange with the client
        asked = answered + timedelta(minutes=rng.uniform(10, 60))
        entries.append(
            SeededEntry(at=asked, author_id=requester, author_role=Role.CLIENT, text=words["more"])
        )
        resolved = max(resolved, asked + timedelta(minutes=rng.uniform(15, 50)))
    entries.append(
        SeededEntry(
            at=resolved - timedelta(minutes=2),
            author_id=staff,
            author_role=Role.AGENT,
            text=words["note"],
            visibility=Visibility.INTERNAL,
        )
    )
    entries.append(
        SeededEntry(
            at=resolved - timedelta(seconds=30),
            author_id=staff,
            author_role=Role.AGENT,
            text=words["fix"],
        )
    )
    if resolved >= end - timedelta(minutes=5):
        return None  # still being worked at the month's end: left out
    rating = None
    if rng.random() < 0.4:
        rated = min(resolved + timedelta(hours=rng.uniform(0.5, 6)), end - timedelta(minutes=2))
        late = (answered - at) > timedelta(hours=2)
        score = rng.choice((2, 3, 3, 4)) if late else rng.choice((4, 5, 5, 5))
        rating = SeededRating(at=rated, score=score, comment=words["slow" if late else "good"])
    # Closed as auto-close would (7 days on), or confirmed by the client before the end.
    closed = resolved + timedelta(days=7)
    closer: UUID | None = None
    if closed >= end:
        closed, closer = min(resolved + timedelta(hours=8), end - timedelta(minutes=1)), requester
    if rating is not None and rating.at >= closed:
        rating = rating.model_copy(update={"at": closed - timedelta(seconds=30)})
    changes = (
        SeededChange(at=assigned_at, previous=Status.NEW, status=Status.ASSIGNED),
        SeededChange(
            at=answered - timedelta(seconds=20),
            previous=Status.ASSIGNED,
            status=Status.IN_PROGRESS,
            actor_id=staff,
        ),
        SeededChange(
            at=resolved, previous=Status.IN_PROGRESS, status=Status.RESOLVED, actor_id=staff
        ),
        SeededChange(at=closed, previous=Status.RESOLVED, status=Status.CLOSED, actor_id=closer),
    )
    title = topic.en if client.locale is Locale.EN else topic.ru
    return SeededIncident(
        incident_id=ids.incident(index),
        title=title,
        description=words["ask"],
        category_id=ids.category(topic.path),
        priority=priority,
        channel=channel,
        requester_id=requester,
        organization_id=ids.organization(client.organization),
        registered_at=at,
        assignee_id=staff,
        assigned_at=assigned_at,
        entries=tuple(entries),
        changes=changes,
        rating=rating,
    )
