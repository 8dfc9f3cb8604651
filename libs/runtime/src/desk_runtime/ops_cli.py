"""`desk-ops`: the operator's views from a terminal, through the gateway's API.

    desk-ops health
    desk-ops queues
    desk-ops dead-letters list [--queue Q]
    desk-ops dead-letters replay QUEUE (MESSAGE_ID | --all)
    desk-ops dead-letters discard QUEUE (MESSAGE_ID | --all)
    desk-ops actions
    desk-ops reconcile                           (agents' loads from intake's incidents)
    desk-ops logs INCIDENT_ID [FILE ...]        (no API: filters JSON log lines)
    desk-ops drop-namespace NAMESPACE --yes     (no API: PostgreSQL and RabbitMQ directly)

The gateway is found at --url (DESK_OPS_URL, else http://127.0.0.1:$DESK_HTTP_PORT); the
credentials are --token=TOKEN (DESK_OPS_TOKEN; the `=` form, since a token may begin
with "-") or --user/--password (DESK_OPS_USER, DESK_OPS_PASSWORD), exchanged for a token
first. Exit status: 0 fine, 1 the desk is not
ready / the action failed, 2 bad usage or no access.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TextIO

import httpx
from desk_contracts.topology import SERVICES

from .namespace import drop_namespace
from .settings import DeskSettings

# --- logs: pure filtering ---------------------------------------------------------------


_PREFIX = re.compile(r"^(?P<name>[a-z][a-z0-9-]*)\s*\|\s?(?P<rest>.*)$")
_PAIR = re.compile(r"(?P<key>[a-z_]+)=(?P<value>[^\s]+)")


def parse_lines(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """Log records from a service's own JSON lines, or from `desk-run`'s combined output
    (`service | {json}` or its readable `service | time level event key=value…` form).
    Anything else (a traceback's lines, a banner) is skipped."""
    for raw in lines:
        line = raw.rstrip("\n")
        prefixed = _PREFIX.match(line)
        body = prefixed["rest"] if prefixed else line
        if body.lstrip().startswith("{"):
            try:
                record = json.loads(body)
            except ValueError:
                continue
            if isinstance(record, dict):
                if prefixed:
                    record.setdefault("service", prefixed["name"])
                yield record
        elif prefixed:
            pairs = {m["key"]: m["value"] for m in _PAIR.finditer(body)}
            if pairs:
                yield {"service": prefixed["name"], **pairs, _LINE: line}


def follow(
    records: Sequence[dict[str, Any]],
    *,
    incident: str | None = None,
    correlation: str | None = None,
    message: str | None = None,
) -> list[dict[str, Any]]:
    """The records of one incident (or correlation, or message), in order — with every
    record that shares a correlation id with them, so the lines a service logged before it
    knew the incident (an HTTP request, a relay) are part of the story too."""
    wanted = {
        key: value
        for key, value in (
            ("incident_id", incident),
            ("correlation_id", correlation),
            ("message_id", message),
        )
        if value
    }
    if not wanted:
        return list(records)

    def direct(record: dict[str, Any]) -> bool:
        return any(str(record.get(key, "")) == value for key, value in wanted.items())

    correlations = {
        str(r["correlation_id"]) for r in records if direct(r) and r.get("correlation_id")
    }
    return [r for r in records if direct(r) or str(r.get("correlation_id", "")) in correlations]


# A record parsed from a readable line keeps that line to print it unchanged.
_LINE = "_line"
_SHOWN_FIRST = ("timestamp", "service", "level", "event")
_CONTEXT = ("incident_id", "correlation_id", "message_id", "message_type", "queue")


def render_line(record: dict[str, Any]) -> str:
    """One readable line: time, service, level, event, then the context and the rest."""
    if _LINE in record:
        return str(record[_LINE])
    head = " ".join(str(record.get(key, "-")) for key in _SHOWN_FIRST)
    rest = [
        f"{key}={record[key]}"
        for key in (*_CONTEXT, *sorted(set(record) - set(_SHOWN_FIRST) - set(_CONTEXT)))
        if key in record and key != "exception"
    ]
    text = f"{head} {' '.join(rest)}".rstrip()
    if "exception" in record:
        text += "\n    " + str(record["exception"]).replace("\n", "\n    ")
    return text


# --- tables -----------------------------------------------------------------------------


def table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> str:
    cells = [[str(c) for c in header], *[["–" if c is None else str(c) for c in r] for r in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in cells
    )


def render_health(body: dict[str, Any]) -> str:
    rows = []
    for service in body["services"]:
        failed = {k: v for k, v in service.get("checks", {}).items() if v != "ok"}
        outbox = service.get("outbox") or {}
        rows.append(
            (
                service["service"],
                service.get("port"),
                "ready" if service.get("ready") else "NOT READY",
                outbox.get("backlog"),
                "; ".join(f"{k}: {v}" for k, v in failed.items()) or "ok",
            )
        )
    verdict = "all services ready" if body["ready"] else "NOT READY"
    return table(rows, ("service", "port", "state", "outbox", "checks")) + f"\n\n{verdict}"


def render_queues(body: dict[str, Any]) -> str:
    rows = [
        (
            q["name"],
            q["kind"],
            q["messages_ready"],
            q["messages_unacknowledged"],
            q["consumers"],
            q["publish_rate"],
            q["deliver_rate"],
            q["error"] or "",
        )
        for q in body["items"]
    ]
    header = ("queue", "kind", "ready", "unacked", "consumers", "publish/s", "deliver/s", "")
    return (
        table(rows, header)
        + f"\n\nsource: {body['source']}; dead letters waiting: {body['dead_letters']}"
    )


def render_dead_letters(body: dict[str, Any]) -> str:
    if not body["items"]:
        return "no dead letters"
    blocks = []
    for d in body["items"]:
        blocks.append(
            "\n".join(
                [
                    f"{d['key']}  {d['message_type'] or '?'}  in {d['dead_letter_queue']}",
                    f"  from      {d['original_queue']} (routing key {d['routing_key']})",
                    f"  reason    {d['reason']}: {d['explanation']}",
                    f"  error     {d['error'] or 'not recorded'}",
                    f"  died at   {d['died_at']}; replayed {d['replays']} time(s)",
                    f"  payload   {json.dumps(d['payload'])[:400]}",
                ]
            )
        )
    return "\n\n".join(blocks) + f"\n\n{body['total']} dead letter(s)"


def render_reconciliation(body: dict[str, Any]) -> str:
    lines = [
        f"{body['incidents_checked']} incident(s) checked against intake",
        f"assignments: {body['bookings_added']} added, {body['bookings_moved']} moved, "
        f"{body['bookings_closed']} closed, {body['bookings_reopened']} reopened",
        f"waiting: {body['arrivals_added']} queued anew, {body['waiting_dropped']} dropped; "
        f"{body['assigned_from_backlog']} assigned from the backlog",
        f"{body['intake_behind']} assignment(s) intake has not recorded yet (kept)",
        *(f"no agent profile for {agent}" for agent in body["unknown_agents"]),
        *(f"{c['agent_id']}: load {c['old']} -> {c['new']}" for c in body["loads_corrected"]),
        f"{len(body['loads_corrected'])} agent load(s) corrected",
    ]
    return "\n".join(lines)


# --- the API ----------------------------------------------------------------------------


class Api:
    def __init__(self, url: str, token: str | None, user: str | None, password: str | None):
        self.http = httpx.Client(base_url=url.rstrip("/"), timeout=30)
        if token is None and user and password:
            response = self.http.post(
                "/api/v1/auth/token", json={"username": user, "password": password}
            )
            _check(response)
            token = response.json()["access_token"]
        if token is None:
            raise SystemExit("desk-ops: give --token (DESK_OPS_TOKEN) or --user and --password")
        self.http.headers["authorization"] = f"Bearer {token}"

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        response = self.http.get(path, params={k: v for k, v in params.items() if v is not None})
        _check(response)
        result: dict[str, Any] = response.json()
        return result

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.http.post(path, json=body)
        _check(response)
        result: dict[str, Any] = response.json()
        return result


def _check(response: httpx.Response) -> None:
    if response.status_code < 400:
        return
    try:
        detail = response.json().get("detail", response.text)
    except ValueError:
        detail = response.text
    code = 2 if response.status_code in (401, 403, 404, 422) else 1
    print(f"desk-ops: {response.status_code} {detail}", file=sys.stderr)
    raise SystemExit(code)


def build_parser() -> argparse.ArgumentParser:
    port = os.environ.get("DESK_HTTP_PORT", "8080")
    parser = argparse.ArgumentParser(prog="desk-ops", description="Operate the service desk.")
    parser.add_argument("--url", default=os.environ.get("DESK_OPS_URL", f"http://127.0.0.1:{port}"))
    parser.add_argument("--token", default=os.environ.get("DESK_OPS_TOKEN"))
    parser.add_argument("--user", default=os.environ.get("DESK_OPS_USER"))
    parser.add_argument("--password", default=os.environ.get("DESK_OPS_PASSWORD"))
    parser.add_argument("--json", action="store_true", help="print the API's JSON")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("health", help="every service's readiness")
    commands.add_parser("queues", help="queue depths and consumers")
    commands.add_parser("actions", help="who replayed or discarded what")
    commands.add_parser(
        "reconcile", help="correct routing's assignments and agents' loads from intake"
    )
    dead = commands.add_parser("dead-letters", help="list, replay or discard dead letters")
    dead_commands = dead.add_subparsers(dest="dead_command", required=True)
    listing = dead_commands.add_parser("list")
    listing.add_argument("--queue")
    listing.add_argument("--limit", type=int, default=50)
    for name in ("replay", "discard"):
        action = dead_commands.add_parser(name)
        action.add_argument("queue", help="the dead-letter queue (name ends in .dead)")
        which = action.add_mutually_exclusive_group(required=True)
        which.add_argument("message_id", nargs="?", help="the dead letter's key (message id)")
        which.add_argument("--all", action="store_true", help="every dead letter of the queue")
    drop = commands.add_parser(
        "drop-namespace",
        help="remove a desk's databases, queues and exchanges (DESK_NAMESPACE by default)",
    )
    drop.add_argument("namespace", nargs="?", default=os.environ.get("DESK_NAMESPACE", "desk"))
    drop.add_argument("--yes", action="store_true", help="do it (without: say what would go)")
    logs = commands.add_parser("logs", help="one incident's log lines across services")
    logs.add_argument("incident", nargs="?", help="incident id")
    logs.add_argument("files", nargs="*", help="log files (default: standard input)")
    logs.add_argument("--correlation", help="a correlation id instead of an incident")
    logs.add_argument("--message", help="a message id instead of an incident")
    return parser


def run_logs(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    if not (args.incident or args.correlation or args.message):
        print("desk-ops logs: give an incident id, --correlation or --message", file=sys.stderr)
        return 2
    if args.incident and (args.correlation or args.message):
        # With --correlation/--message every positional is a file.
        args.files, args.incident = [args.incident, *args.files], None
    records: list[dict[str, Any]] = []
    if args.files:
        for name in args.files:
            with open(name, encoding="utf-8", errors="replace") as handle:
                records.extend(parse_lines(handle))
    else:
        records.extend(parse_lines(stdin))
    found = follow(
        records, incident=args.incident, correlation=args.correlation, message=args.message
    )
    for record in found:
        shown = {k: v for k, v in record.items() if k != _LINE}
        print(json.dumps(shown) if args.json else render_line(record), file=stdout)
    return 0 if found else 1


def run_drop_namespace(args: argparse.Namespace, stdout: TextIO) -> int:
    """Talks to PostgreSQL and RabbitMQ directly (DESK_POSTGRES_URL, DESK_AMQP_URL): the
    desk itself may be stopped, and should be."""
    try:
        settings = DeskSettings(namespace=args.namespace)
    except ValueError:
        print(f"desk-ops drop-namespace: not a namespace: {args.namespace!r}", file=sys.stderr)
        return 2
    databases = [settings.database_name(s) for s in SERVICES]
    if not args.yes:
        print(
            f"would remove namespace {args.namespace!r}: databases {', '.join(databases)}, "
            "its queues and exchanges; run again with --yes",
            file=stdout,
        )
        return 1
    removed = asyncio.run(drop_namespace(settings))
    print(
        f"removed namespace {args.namespace!r} ({len(removed)} databases, queues and exchanges)",
        file=stdout,
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "logs":
        return run_logs(args, sys.stdin, sys.stdout)
    if args.command == "drop-namespace":
        return run_drop_namespace(args, sys.stdout)
    api = Api(args.url, args.token, args.user, args.password)
    if args.command == "health":
        body = api.get("/api/v1/ops/health")
        print(json.dumps(body, indent=2) if args.json else render_health(body))
        return 0 if body["ready"] else 1
    if args.command == "queues":
        body = api.get("/api/v1/ops/queues")
        print(json.dumps(body, indent=2) if args.json else render_queues(body))
        return 0
    if args.command == "actions":
        body = api.get("/api/v1/ops/actions")
        rows = [
            (
                a["at"],
                a["actor_username"],
                a["action"],
                a["queue"],
                a["message_key"] or "all",
                a["affected"],
                a["outcome"],
            )
            for a in body["items"]
        ]
        header = ("at", "who", "action", "queue", "message", "affected", "outcome")
        print(json.dumps(body, indent=2) if args.json else table(rows, header))
        return 0
    if args.command == "reconcile":
        body = api.post("/api/v1/agents/reconcile", {})
        print(json.dumps(body, indent=2) if args.json else render_reconciliation(body))
        return 0
    if args.dead_command == "list":
        body = api.get("/api/v1/ops/dead-letters", queue=args.queue, limit=args.limit)
        print(json.dumps(body, indent=2) if args.json else render_dead_letters(body))
        return 0
    body = api.post(
        f"/api/v1/ops/dead-letters/{args.dead_command}",
        {"queue": args.queue, "message_id": None if args.all else args.message_id},
    )
    verb = "replayed" if args.dead_command == "replay" else "discarded"
    print(json.dumps(body, indent=2) if args.json else f"{verb} {body['affected']} message(s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
