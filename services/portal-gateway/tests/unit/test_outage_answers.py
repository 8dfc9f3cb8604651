"""A peer service, the broker or the database out of reach answers 503 with `Retry-After`
and the reader's language, in the API and on the portal's pages — never 500."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from aio_pika.exceptions import AMQPConnectionError
from aiormq.exceptions import ChannelInvalidStateError
from desk_contracts import Failure
from desk_runtime.rpc import RemoteFailure, ServiceUnavailable
from litestar import Litestar, Request, Router, get
from litestar.exceptions import HTTPException
from litestar.testing import TestClient

# Through the composition root: the package's modules import each other in its order.
from portal_gateway.app import EXCEPTION_HANDLERS
from portal_gateway.web.errors import PAGE_ERRORS

FAILURES: dict[str, Exception] = {
    "unanswered": ServiceUnavailable("intake.list_incidents", 5),
    "broker-away": ServiceUnavailable(
        "intake.list_incidents", 0, "the message broker is unreachable"
    ),
    "channel-reopening": ChannelInvalidStateError("channel closed"),
    "connection-lost": AMQPConnectionError("connection reset"),
    "peer-could-not-ask": RemoteFailure(Failure(status=503, detail="no answer to sla")),
    "database-gone": asyncpg.CannotConnectNowError("starting up"),
    "refused": ConnectionRefusedError(111, "refused"),
    "http-503": HTTPException(status_code=503, detail="try again"),
}


def _app() -> Litestar:
    @get("/api", sync_to_thread=False)
    def api(request: Request[Any, Any, Any]) -> None:
        raise FAILURES[request.query_params["kind"]]

    @get("/page", sync_to_thread=False)
    def page(request: Request[Any, Any, Any]) -> None:
        raise FAILURES[request.query_params["kind"]]

    pages = Router(path="/", route_handlers=[page], exception_handlers=PAGE_ERRORS)
    return Litestar(
        route_handlers=[api, pages], exception_handlers=EXCEPTION_HANDLERS, logging_config=None
    )


@pytest.mark.parametrize("kind", sorted(FAILURES))
def test_the_api_answers_503_with_retry_after(kind: str) -> None:
    with TestClient(_app()) as client:
        english = client.get("/api", params={"kind": kind})
        russian = client.get(
            "/api", params={"kind": kind}, headers={"accept-language": "ru-RU,ru;q=0.9"}
        )
    for answer in (english, russian):
        assert answer.status_code == 503, answer.text
        assert int(answer.headers["retry-after"]) >= 1
        assert answer.json()["errors"] == []
    if kind != "http-503":
        assert english.json()["detail"] == "A service is not responding; try again shortly."
        assert russian.json()["detail"] == "Один из сервисов не отвечает; повторите чуть позже."


@pytest.mark.parametrize("kind", sorted(set(FAILURES) - {"http-503"}))
def test_a_page_answers_503_with_retry_after_in_the_readers_language(kind: str) -> None:
    with TestClient(_app()) as client:
        english = client.get("/page", params={"kind": kind})
        client.cookies.set("desk_lang", "ru")
        russian = client.get("/page", params={"kind": kind})
    for answer in (english, russian):
        assert answer.status_code == 503
        assert int(answer.headers["retry-after"]) >= 1
        assert answer.headers["content-type"].startswith("text/html")
    assert "Temporarily unavailable" in english.text
    assert "A service is not responding; try again shortly." in english.text
    assert "Временно недоступно" in russian.text
    assert "Один из сервисов не отвечает; повторите чуть позже." in russian.text


def test_a_bug_is_still_a_500() -> None:
    @get("/bug", sync_to_thread=False)
    def bug() -> None:
        raise KeyError("a bug")

    app = Litestar(route_handlers=[bug], exception_handlers=EXCEPTION_HANDLERS, logging_config=None)
    with TestClient(app) as client:
        answer = client.get("/bug")
    assert answer.status_code == 500
    assert "retry-after" not in answer.headers
