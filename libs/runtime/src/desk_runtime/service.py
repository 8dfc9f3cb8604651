"""The composition of one service process: database, migrations, broker, outbox relay,
inbox-guarded consumers, request/reply answers, health and metrics.

A service's handler modules declare their handlers at module level on a `Handlers`
(desk_runtime.handlers); its `app.py` creates one `Service`, includes them and calls
`service.run()`. Handlers only translate and persist:

    @handlers.handles(IncidentRegistered)
    async def on_registered(event: IncidentRegistered, uow: UnitOfWork) -> None:
        ...
        await uow.publish(DeadlinesSet(...))   # committed together with the change

Deliveries that queue up behind a transaction are handled together in the next one (each
still acked only after the commit, and retried alone if the batch fails). A handler that
would rather work on the whole batch at once sets its part aside with `uow.gather(item,
step)`: `step` runs once before the commit with everything gathered for it. What the
handlers announce is written to the outbox in one statement just before the commit.

A handler whose message builds on a fact not known yet (it travels on another queue)
raises `NotYet(kind, key)`: the message is parked under that fact, and the handler that
records it calls `uow.arrived(kind, key)`, which handles the parked message in that
transaction (desk_runtime.parking).
"""

# No `from __future__ import annotations` here: FastStream reads the consumers'
# annotations at registration time, and they name types built at run time.

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
from aio_pika.abc import AbstractRobustConnection
from desk_contracts import Envelope, Failure, Message, Reply, RequestReply
from desk_contracts.topology import (
    EVENTS_EXCHANGE,
    QUERIES,
    SUBSCRIPTIONS,
    consumer_queue,
    exchange_name,
    rpc_queue,
)
from faststream import AckPolicy
from faststream.rabbit import (
    ExchangeType,
    QueueType,
    RabbitExchange,
    RabbitQueue,
)
from pydantic import ValidationError

from . import parking
from .batching import Batcher
from .broker import connect_robust, consumer_broker
from .context import causation_id_var, correlation_id_var
from .db import create_pool, ensure_database
from .errors import DomainError, validation_items
from .handlers import Handlers, in_turn
from .health import consumer_watchdog
from .logging import configure_logging, get_logger, log_context
from .metrics import (
    QUERIES_ANSWERED,
)
from .migrations import RUNTIME_MIGRATIONS, migrate
from .outbox import OutboxRelay
from .retry import BROKER_RECONNECT_SECONDS, with_backoff
from .rpc import RemoteFailure, RpcClient, ServiceUnavailable
from .settings import DeskSettings
from .topology import consumer_queue_arguments, declare_topology
from .unit_of_work import Gathered, TransactionEnd, UnitOfWork, close_transaction

log = get_logger(__name__)

M = TypeVar("M", bound=Message)
Q = TypeVar("Q", bound="RequestReply[Any]")  # a query or a request


__all__ = ["Gathered", "Service", "TransactionEnd", "UnitOfWork", "close_transaction"]

EventHandler = Callable[[Any, UnitOfWork], Awaitable[None]]
QueryHandler = Callable[[Any, "Service"], Awaitable[Message]]
BackgroundTask = Callable[["Service"], Awaitable[None]]


class Service:
    def __init__(
        self,
        name: str,
        migrations: Path | None = None,
        settings: DeskSettings | None = None,
        *,
        pool_size: int | None = None,
    ) -> None:
        """`pool_size` bounds the service's PostgreSQL connections (the pool's default
        else): a small service keeps the whole desk within the server's connections."""
        self.name = name
        self._pool_size = pool_size
        self.settings = settings or DeskSettings()
        self._migrations = migrations
        self._events: dict[type[Message], list[EventHandler]] = {}
        # Per message type: its envelope's model, its handler and its queue.
        self.consumers: dict[str, tuple[Any, EventHandler, str]] = {}
        self._queries: dict[type[RequestReply[Any]], QueryHandler] = {}
        self._startup: list[BackgroundTask] = []
        self._background: list[BackgroundTask] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._pool: asyncpg.Pool | None = None
        self._connection: AbstractRobustConnection | None = None
        self._rpc: RpcClient | None = None
        # Every request/reply client on our connection: readiness counts their reply
        # consumers, and the watchdog re-attaches one that did not come back.
        self.rpc_clients: list[RpcClient] = []
        # Deliveries of a failed batch, handled one by one.
        self._alone: set[asyncio.Task[None]] = set()
        self._rpc_lock = asyncio.Lock()
        self.broker = consumer_broker(self.settings, name)
        self.started = asyncio.Event()

    # --- registration ---------------------------------------------------------------

    def handles(
        self, model: type[M]
    ) -> Callable[[Callable[[M, UnitOfWork], Awaitable[None]]], Any]:
        """Handle `model` in a unit of work behind the inbox. Several handlers of one
        model (areas of the service that act on the same event) share its one queue and
        run in the order registered, in the delivery's one transaction."""

        def register(handler: Callable[[M, UnitOfWork], Awaitable[None]]) -> Any:
            chain = self._events.get(model)
            if chain is None:
                chain = self._events[model] = []
                self._subscribe_event(model, in_turn(chain))
            if handler in chain:
                raise ValueError(f"{self.name}: {handler.__name__} handles {model.__name__} twice")
            chain.append(handler)
            return handler

        return register

    def answers(
        self, query: type[Q]
    ) -> Callable[[Callable[[Q, "Service"], Awaitable[Message]]], Any]:
        def register(handler: Callable[[Q, "Service"], Awaitable[Message]]) -> Any:
            self._queries[query] = handler
            self._subscribe_query(query, handler)
            return handler

        return register

    def include(self, *declared: Handlers) -> None:
        """Subscribes what handler modules declared at module level (desk_runtime.handlers),
        in the order given: areas that act on the same event run in that order."""
        for handlers in declared:
            for model, handler in handlers.events:
                self.handles(model)(handler)
            for request, answer in handlers.requests:
                self.answers(request)(answer)
            for task in handlers.startup:
                self.on_startup(task)
            for task in handlers.background:
                self.background(task)
            for seconds, step in handlers.periodic:
                self.every(seconds)(step)

    def on_startup(self, task: BackgroundTask) -> BackgroundTask:
        """Runs once after migrations, before consuming (seed data, reconcile…)."""
        self._startup.append(task)
        return task

    def background(self, task: BackgroundTask) -> BackgroundTask:
        """Runs for the life of the process (schedulers, relays); restarted on crash."""
        self._background.append(task)
        return task

    def every(self, seconds: float) -> Callable[[BackgroundTask], BackgroundTask]:
        """Runs the decorated step every `seconds` for the life of the process
        (gauges read from the service's tables, sweeps)."""

        def decorate(step: BackgroundTask) -> BackgroundTask:
            async def repeat(service: Service) -> None:
                while True:
                    await step(service)
                    await asyncio.sleep(seconds)

            repeat.__name__ = step.__name__
            self.background(repeat)
            return step

        return decorate

    # --- resources ----------------------------------------------------------------------

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError(f"{self.name} is not started")
        return self._pool

    @property
    def connection(self) -> AbstractRobustConnection:
        if self._connection is None:
            raise RuntimeError(f"{self.name} is not started")
        return self._connection

    async def ask(
        self,
        query: RequestReply[M],
        result_type: type[M] | None = None,
        timeout: float | None = None,
    ) -> M:
        """Ask another service for the reply its message declares (on a reply queue of our
        own, opened at the first question); no answer in time raises `ServiceUnavailable`."""
        async with self._rpc_lock:
            if self._rpc is None:
                client = RpcClient(
                    self.settings.amqp_url,
                    self.settings.namespace,
                    self.name,
                    self.settings.rpc_timeout_seconds,
                )
                await client.connect(self.connection)
                self._rpc = client
                self.rpc_clients.append(client)
        return await self._rpc.ask_as(query, result_type, timeout)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[UnitOfWork]:
        async with self.pool.acquire() as conn, conn.transaction():
            unit = UnitOfWork(conn, self)
            yield unit
            await close_transaction(conn, self, unit.end)
        unit.end.committed()

    # --- consumers ----------------------------------------------------------------------

    def _subscribe_event(
        self, model: type[M], handler: Callable[[M, UnitOfWork], Awaitable[None]]
    ) -> None:
        namespace = self.settings.namespace
        queue_name = consumer_queue(namespace, self.name, model)
        arguments: Any = consumer_queue_arguments(namespace, queue_name)
        queue = RabbitQueue(
            queue_name,
            queue_type=QueueType.QUORUM,
            durable=True,
            arguments=arguments,
            routing_key=model.ROUTING_KEY,
        )
        exchange = RabbitExchange(
            exchange_name(namespace, EVENTS_EXCHANGE), type=ExchangeType.TOPIC, durable=True
        )
        envelope_type: Any = Envelope.__class_getitem__(model)
        self.consumers[model.ROUTING_KEY] = (envelope_type, handler, queue_name)

        batcher = Batcher(self, queue_name, handler)

        # A body that does not validate is rejected by the ack policy and goes straight to
        # the dead letters; a handler that fails is retried up to the delivery limit.
        async def consume(body: envelope_type) -> None:
            envelope = envelope_type.model_validate(body)
            await batcher.submit(envelope)

        consume.__doc__ = handler.__doc__
        self.broker.subscriber(
            queue,
            exchange,
            ack_policy=AckPolicy.REJECT_ON_ERROR,
            title=f"{queue_name}:consume",
            description=(handler.__doc__ or "").strip() or None,
        )(consume)

    def _subscribe_query(
        self, query: type[Q], handler: Callable[[Q, "Service"], Awaitable[Message]]
    ) -> None:
        queue = RabbitQueue(rpc_queue(self.settings.namespace, query), durable=True)

        async def answer(body: dict[str, Any]) -> dict[str, Any]:
            return (await self._answer(query, handler, body)).model_dump(mode="json")

        self.broker.subscriber(
            queue,
            ack_policy=AckPolicy.ACK_FIRST,
            title=f"{query.ROUTING_KEY}:answer",
            description=(handler.__doc__ or "").strip() or None,
        )(answer)

    async def _answer(
        self,
        query: type[Q],
        handler: Callable[[Q, "Service"], Awaitable[Message]],
        body: dict[str, Any],
    ) -> Reply[Message]:
        try:
            envelope = Envelope[query].model_validate(body)  # type: ignore[valid-type]
        except ValidationError as error:
            QUERIES_ANSWERED.labels(query.ROUTING_KEY, "invalid").inc()
            return Reply(
                ok=False,
                failure=Failure(
                    status=422,
                    detail="invalid request",
                    errors=validation_items(error, strip_prefix=("payload",)),
                ),
            )
        correlation = correlation_id_var.set(envelope.correlation_id)
        causation = causation_id_var.set(envelope.message_id)
        try:
            with log_context(correlation_id=envelope.correlation_id, query=query.ROUTING_KEY):
                try:
                    result = await handler(envelope.payload, self)
                except DomainError as error:
                    QUERIES_ANSWERED.labels(query.ROUTING_KEY, str(error.status)).inc()
                    return Reply(ok=False, failure=error.to_failure())
                except ServiceUnavailable as error:
                    # A service this answer depends on did not answer in time.
                    QUERIES_ANSWERED.labels(query.ROUTING_KEY, "503").inc()
                    return Reply(ok=False, failure=Failure(status=503, detail=str(error)))
                except RemoteFailure as error:
                    QUERIES_ANSWERED.labels(query.ROUTING_KEY, str(error.failure.status)).inc()
                    return Reply(ok=False, failure=error.failure)
                except Exception as error:
                    QUERIES_ANSWERED.labels(query.ROUTING_KEY, "error").inc()
                    log.exception("query_failed", error=repr(error))
                    return Reply(
                        ok=False,
                        failure=Failure(
                            status=500, detail=f"{self.name} failed to answer {query.ROUTING_KEY}"
                        ),
                    )
                QUERIES_ANSWERED.labels(query.ROUTING_KEY, "ok").inc()
                return Reply(ok=True, result=result)
        finally:
            correlation_id_var.reset(correlation)
            causation_id_var.reset(causation)

    # --- life cycle ---------------------------------------------------------------------

    def check_topology(self) -> None:
        """The handlers registered must be exactly what libs/contracts says we consume."""
        expected_events = set(SUBSCRIPTIONS.get(self.name, ()))
        expected_queries = set(QUERIES.get(self.name, ()))
        if set(self._events) != expected_events or set(self._queries) != expected_queries:
            raise RuntimeError(
                f"{self.name}: handlers {sorted(m.__name__ for m in self._events)} / "
                f"{sorted(q.__name__ for q in self._queries)} do not match the topology "
                f"{sorted(m.__name__ for m in expected_events)} / "
                f"{sorted(q.__name__ for q in expected_queries)}"
            )

    async def start(self) -> None:
        self.check_topology()
        settings = self.settings
        log.info("service_starting", namespace=settings.namespace)
        await ensure_database(settings, self.name)
        sizes = {}
        if self._pool_size is not None:
            sizes = {"min_size": min(2, self._pool_size), "max_size": self._pool_size}
        self._pool = await create_pool(settings, self.name, **sizes)
        tracks = [("runtime", RUNTIME_MIGRATIONS)]
        if self._migrations is not None:
            tracks.append((self.name, self._migrations))
        async with self._pool.acquire() as conn:
            await migrate(conn, tracks)
        self._connection = await with_backoff(
            "RabbitMQ",
            lambda: connect_robust(
                settings.amqp_urls,
                client_properties={"connection_name": f"{settings.namespace}.{self.name}"},
                reconnect_interval=BROKER_RECONNECT_SECONDS,
            ),
            timeout=settings.connect_timeout_seconds,
        )
        channel = await self._connection.channel()
        await declare_topology(channel, settings.namespace)
        for task in self._startup:
            await task(self)
        await with_backoff("RabbitMQ", self.broker.start, timeout=settings.connect_timeout_seconds)
        relay = OutboxRelay(self._pool, channel, settings.namespace)
        self._spawn("outbox-relay", lambda _: relay.run())
        self._spawn("consumer-watchdog", consumer_watchdog)
        self._spawn("parked-gauges", lambda service: parking.watch(service.pool))
        for task in self._background:
            self._spawn(task.__name__, task)
        self.started.set()
        log.info("service_started")

    def _spawn(self, name: str, task: BackgroundTask) -> None:
        async def supervised() -> None:
            while True:
                try:
                    await task(self)
                    return
                except asyncio.CancelledError:
                    raise
                except Exception as error:
                    log.exception("background_task_crashed", task=name, error=repr(error))
                    await asyncio.sleep(1.0)

        self._tasks.append(asyncio.create_task(supervised(), name=f"{self.name}:{name}"))

    async def stop(self) -> None:
        log.info("service_stopping")
        self.started.clear()
        with contextlib.suppress(Exception):
            await self.broker.stop()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        if self._rpc is not None:
            await self._rpc.close()
            self._rpc = None
        self.rpc_clients.clear()
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.close()
        if self._pool is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._pool.close(), 5)
        log.info("service_stopped")

    async def serve_forever(self, extra: Callable[[], Awaitable[None]] | None = None) -> None:
        """Start, run until SIGINT/SIGTERM, stop cleanly."""
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await self.start()
        extra_task = asyncio.ensure_future(extra()) if extra else None
        try:
            await stop.wait()
        finally:
            if extra_task is not None:
                extra_task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await extra_task
            await self.stop()

    def run(self, extra: Callable[[], Awaitable[None]] | None = None) -> None:
        """The process entry point; `extra` replaces the plain health server (the gateway
        serves health next to its API)."""
        from . import loop
        from .health import serve_health

        configure_logging(self.name, self.settings.log_level, self.settings.log_format)
        try:
            loop.run(self.serve_forever(extra or (lambda: serve_health(self))))
        except Exception as error:
            log.error("service_failed", error=str(error))
            raise SystemExit(1) from error
