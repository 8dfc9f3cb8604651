"""Test support shared by every test suite: a namespace of its own for each test run,
real PostgreSQL and RabbitMQ (testcontainers where a Docker engine runs, else the
servers named by DESK_POSTGRES_URL / DESK_AMQP_URL), and a clean-up that removes the
namespace's databases, queues and exchanges."""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import functools
import os
import secrets
import shutil
import socket
import subprocess
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import aio_pika
from desk_contracts import Envelope, Message
from desk_contracts.topology import (
    EVENTS_EXCHANGE,
    SERVICES,
    exchange_name,
)

from . import namespace
from .broker import connect_first
from .settings import DeskSettings, service_url_variable
from .tcpproxy import TcpProxy

if TYPE_CHECKING:
    from .service import Service
    from .supervisor import ProcessGroup


def new_namespace(prefix: str = "t") -> str:
    return f"{prefix}{secrets.token_hex(5)}"


@dataclass(frozen=True)
class Infrastructure:
    postgres_url: str
    amqp_url: str


def _docker_engine_available() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@contextlib.contextmanager
def infrastructure() -> Iterator[Infrastructure]:
    """Servers for the test session. Explicit DESK_* variables win; else testcontainers
    when a Docker engine answers; else the local defaults of SPEC §10."""
    defaults = DeskSettings()
    explicit = "DESK_POSTGRES_URL" in os.environ or "DESK_AMQP_URL" in os.environ
    if explicit or os.environ.get("DESK_TESTCONTAINERS") == "0" or not _docker_engine_available():
        yield Infrastructure(defaults.postgres_url, defaults.amqp_url)
        return
    from testcontainers.postgres import PostgresContainer
    from testcontainers.rabbitmq import RabbitMqContainer

    with (
        PostgresContainer(
            "postgres:16-alpine", username="postgres", password="postgres", driver=None
        ) as postgres,
        RabbitMqContainer("rabbitmq:3.13") as rabbit,
    ):
        url = postgres.get_connection_url(driver=None)
        server_url = url.rsplit("/", 1)[0]
        params = rabbit.get_connection_params()
        amqp = f"amqp://guest:guest@{params.host}:{params.port}/"
        yield Infrastructure(server_url, amqp)


def broker_answers(amqp_url: str, timeout: float = 10.0) -> bool:
    """Whether the broker answers the AMQP protocol header with Connection.Start.

    A broker out of file handles still completes TCP connections but says nothing, and
    every test after that would wait for its own timeout; the suite stops instead."""
    from urllib.parse import urlsplit

    url = urlsplit(amqp_url.split(",", 1)[0].strip())
    address = (url.hostname or "127.0.0.1", url.port or 5672)
    try:
        with socket.create_connection(address, timeout) as s:
            s.settimeout(timeout)
            s.sendall(b"AMQP\x00\x00\x09\x01")
            return s.recv(7)[:1] == b"\x01"
    except OSError:
        return False


def settings_for(infra: Infrastructure, namespace: str, **overrides: Any) -> DeskSettings:
    return DeskSettings(
        namespace=namespace,
        postgres_url=infra.postgres_url,
        amqp_url=infra.amqp_url,
        **overrides,
    )


def process_desk_settings(
    infra: Infrastructure, prefix: str, smtp_port: int, artifacts: Path, **overrides: Any
) -> DeskSettings:
    """Settings of a whole desk that a test runs as processes: a namespace of its own
    (named from `prefix`), a block of free ports, the demo data (without its month of
    past incidents unless asked: the tests count their own), blobs under `artifacts`,
    and patience at start for a machine busy with other tests."""
    namespace = new_namespace(prefix)
    return settings_for(
        infra,
        namespace,
        **{
            "http_port": free_port_block(len(SERVICES)),
            "smtp_port": smtp_port,
            "demo": True,
            "demo_month": False,
            "connect_timeout_seconds": 30,
            "blob_dir": str(artifacts / namespace / "blobs"),
            **overrides,
        },
    )


def another_instance(service: str) -> dict[str, str]:
    """The variables a further instance of `service` adds to the desk's on the host of the
    first: ports of its own (the gateway's API and mail listener, another service's
    health and metrics). On machines of their own (pods) every instance keeps the same
    settings."""
    if service == "portal-gateway":
        return {"DESK_HTTP_PORT": str(free_port()), "DESK_INBOUND_SMTP_PORT": str(free_port())}
    return {"DESK_HEALTH_PORT": str(free_port())}


@dataclass
class DeskProcesses:
    """Every service of a desk as processes, each `instances` times, the gateways behind a
    round-robin proxy when there are several (`start_services`)."""

    settings: DeskSettings
    group: ProcessGroup
    # Each process's name in the group (`routing`, `routing-2`…) and its health port.
    ports: dict[str, int]
    base_url: str
    proxy: TcpProxy | None = None

    async def ready(self) -> bool:
        """Every process answers /readyz with 200 (one that exited raises, with why)."""
        import httpx

        if self.group.exited():
            raise RuntimeError(f"{self.group.exited()} exited at start")
        async with httpx.AsyncClient(timeout=5) as http:
            try:
                checks = [
                    await http.get(f"http://127.0.0.1:{port}/readyz")
                    for port in self.ports.values()
                ]
            except httpx.TransportError:
                return False
        return all(check.status_code == 200 for check in checks)

    async def stop(self) -> None:
        """Every process, then the proxy in front of the gateways."""
        await self.group.stop_all()
        if self.proxy is not None:
            await self.proxy.close()


async def start_services(
    settings: DeskSettings, output: IO[str], instances: int = 1
) -> DeskProcesses:
    """Start every service `instances` times as processes writing to `output`. A further
    instance gets ports of its own (`another_instance`); with several gateways, a
    round-robin proxy in front of them is the desk's address, and the portal's in mails
    (DESK_PORTAL_URL)."""
    import sys

    from .supervisor import MODULES, ProcessGroup

    plan: dict[str, tuple[str, dict[str, str], int]] = {}
    for service in SERVICES:
        plan[service] = (service, {}, settings.service_port(service))
        for n in range(2, instances + 1):
            env = another_instance(service)
            port = env.get("DESK_HEALTH_PORT") or env["DESK_HTTP_PORT"]
            plan[f"{service}-{n}"] = (service, env, int(port))
    proxy = None
    base_url = f"http://127.0.0.1:{settings.http_port}"
    if instances > 1:
        gateways = [port for service, _, port in plan.values() if service == "portal-gateway"]
        proxy = TcpProxy.round_robin([("127.0.0.1", port) for port in gateways])
        base_url = f"http://127.0.0.1:{await proxy.start()}"
        settings = settings.model_copy(update={"portal_url": base_url})
    group = ProcessGroup(env=environment_for(settings), output=output)
    for name, (service, env, _) in plan.items():
        await group.start(name, [sys.executable, "-m", MODULES[service]], env=env)
    ports = {name: port for name, (_, _, port) in plan.items()}
    return DeskProcesses(settings, group, ports, base_url, proxy)


def environment_for(settings: DeskSettings) -> dict[str, str]:
    """The DESK_* variables that make a child process use these settings."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("DESK_")}
    for name, value in settings.model_dump(exclude_none=True, exclude={"postgres_urls"}).items():
        env[f"DESK_{name.upper()}"] = str(int(value) if isinstance(value, bool) else value)
    for service, url in settings.postgres_urls.items():
        env[service_url_variable(service)] = url
    return env


async def drop_namespace(settings: DeskSettings) -> None:
    """Remove every database, queue and exchange of the namespace."""
    await namespace.drop_namespace(settings)


def _ephemeral_ports_start() -> int:
    """Where the kernel's range for outgoing connections begins (Linux; 32768 else)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as ports:
            return int(ports.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port_block(size: int = 6) -> int:
    """A base port with `size` free ports after it (gateway + one per service).

    Chosen below the ephemeral range: the services bind their ports seconds after this
    check, and meanwhile any outgoing connection (to PostgreSQL, RabbitMQ…) may be given
    a port from that range by the kernel."""
    low, high = 10000, _ephemeral_ports_start() - size
    if high - low < 1000:  # an unusual range: fall back to the wide one
        low, high = 20000, 50000
    for _ in range(50):
        base = low + secrets.randbelow(high - low)
        sockets = []
        try:
            for offset in range(size):
                sock = socket.socket()
                sock.bind(("127.0.0.1", base + offset))
                sockets.append(sock)
            return base
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
    raise RuntimeError("no free block of ports")


async def wait_until(predicate: Any, *, timeout: float = 20.0, interval: float = 0.05) -> Any:
    """Poll an async or sync predicate until it returns something truthy."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if loop.time() > deadline:
            raise TimeoutError(f"condition not met within {timeout} s")
        await asyncio.sleep(interval)


@dataclass
class Mailbox:
    """What a real SMTP server (aiosmtpd) received, plus a script of refusals."""

    messages: list[EmailMessage] = field(default_factory=list)
    refuse_next: int = 0
    refusals: int = 0
    refuse_always: bool = False
    accepted: int = 0
    # The client's address and port of each accepted message: one SMTP session, one peer.
    peers: list[tuple[str, int]] = field(default_factory=list)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m.get("To", ""))]


class _MailboxHandler:
    def __init__(self, mailbox: Mailbox, keep: bool) -> None:
        self.mailbox = mailbox
        self.keep = keep

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.mailbox.refuse_always or self.mailbox.refuse_next > 0:
            self.mailbox.refuse_next = max(0, self.mailbox.refuse_next - 1)
            self.mailbox.refusals += 1
            return "451 Requested action aborted: try again later"
        self.mailbox.accepted += 1
        if not self.keep:
            return "250 OK"
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.mailbox.messages.append(parsed)
        self.mailbox.peers.append(tuple(session.peer))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _postgres_bin() -> Path:
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), reverse=True):
        return candidate.parent
    raise RuntimeError("a second PostgreSQL server needs initdb and pg_ctl on this machine")


@contextlib.contextmanager
def second_postgres_server(base: Path) -> Iterator[str]:
    """A PostgreSQL cluster of its own under `base` on a free port (trust auth, user
    postgres), for a service that lives on another server; its URL without a database."""
    binaries = _postgres_bin()
    base.mkdir(parents=True, exist_ok=True)
    # PostgreSQL refuses to run as root: the server then runs as the postgres account.
    as_owner: list[str] = []
    if os.geteuid() == 0:
        as_owner = ["runuser", "-u", "postgres", "--"]
        shutil.chown(base, user="postgres")
    data, port = base / "data", free_port()
    run = functools.partial(subprocess.run, check=True, capture_output=True, timeout=120)
    run([*as_owner, str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"])
    options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off"
    pg_ctl = [*as_owner, str(binaries / "pg_ctl"), "-D", str(data), "-w"]
    run([*pg_ctl, "-o", options, "-l", str(base / "server.log"), "start"])
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}"
    finally:
        run([*pg_ctl, "-m", "fast", "stop"])
        shutil.rmtree(base, ignore_errors=True)


@contextlib.contextmanager
def s3_server() -> Iterator[str]:
    """A real S3-compatible server (moto's stand-alone one) on a free local port, for the
    blob store; its endpoint URL. Any access key is accepted."""
    import sys
    import time
    import urllib.request

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{endpoint}/", timeout=1):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the S3 test server did not start") from None
                time.sleep(0.1)
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=10)


@contextlib.contextmanager
def smtp_server(keep: bool = True) -> Iterator[tuple[int, Mailbox]]:
    """A real SMTP server on a free local port, collecting what it accepts (parsed), or
    with `keep=False` only counting it: benchmarks stand it in for a mail provider
    elsewhere, whose work is not the desk's."""
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    port = free_port()
    controller = Controller(_MailboxHandler(mailbox, keep), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, mailbox
    finally:
        controller.stop()


async def _publish_bodies(
    settings: DeskSettings, bodies: list[tuple[str, bytes, str | None]]
) -> None:
    """(routing key, body, message id) to the events exchange, in order, over one
    connection, each confirmed by the broker before the next."""
    connection = await connect_first(settings.amqp_urls)
    try:
        channel = await connection.channel()
        exchange = await channel.get_exchange(exchange_name(settings.namespace, EVENTS_EXCHANGE))
        for routing_key, body, message_id in bodies:
            await exchange.publish(
                aio_pika.Message(
                    body,
                    message_id=message_id,
                    content_type="application/json",
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                ),
                routing_key=routing_key,
            )
    finally:
        await connection.close()


async def publish_raw(
    settings: DeskSettings, routing_key: str, body: bytes, *, message_id: str | None = None
) -> None:
    """Publish bytes to the namespace's events exchange, as a peer (or an attacker) would."""
    await _publish_bodies(settings, [(routing_key, body, message_id)])


async def publish(settings: DeskSettings, envelope: Envelope[Any]) -> None:
    await publish_many(settings, [envelope])


async def send(settings: DeskSettings, payload: Message, producer: str = "tests") -> Envelope[Any]:
    """Publish one payload as a peer service would, in an envelope of its own."""
    envelope = Envelope.wrap(payload, producer=producer)
    await publish(settings, envelope)
    return envelope


@contextlib.asynccontextmanager
async def started(service: Service) -> AsyncIterator[Service]:
    """A service started for a test and stopped after it, whatever the test did."""
    await service.start()
    try:
        yield service
    finally:
        await service.stop()


async def publish_many(settings: DeskSettings, envelopes: list[Envelope[Any]]) -> None:
    """Publish envelopes one after another over one connection (a burst)."""
    await _publish_bodies(
        settings,
        [
            (e.payload.ROUTING_KEY, e.model_dump_json().encode(), str(e.message_id))
            for e in envelopes
        ],
    )


async def queue_depth(settings: DeskSettings, queue: str) -> tuple[int, int]:
    """(ready messages, consumers) of a queue, by a passive declare."""
    connection = await connect_first(settings.amqp_urls)
    try:
        channel = await connection.channel()
        declared = await channel.declare_queue(queue, passive=True)
        result = declared.declaration_result
        return result.message_count or 0, result.consumer_count or 0
    finally:
        await connection.close()
