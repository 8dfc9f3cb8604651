"""What sla's integration tests share: the service started on the test's namespace, a
request/reply client to ask it, and the principals that ask."""

from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import UUID

import pytest_asyncio
from desk_contracts.enums import Role, Scope
from desk_contracts.messages import Principal
from desk_runtime.rpc import RpcClient
from desk_runtime.service import Service
from desk_runtime.settings import DeskSettings
from desk_runtime.testing import rpc_client, started
from sla.app import build

# Who reads an incident's deadlines: staff see escalations, timers and computations.
AGENT = Principal(user_id=UUID(int=0xA6E), role=Role.AGENT)
CLIENT = Principal(
    user_id=UUID(int=0xC11E), role=Role.CLIENT, organization_id=UUID(int=0x0A6), scope=Scope.OWN
)


@pytest_asyncio.fixture
async def sla(desk_settings: DeskSettings) -> AsyncIterator[Service]:
    async with started(build(desk_settings)) as service:
        yield service


@pytest_asyncio.fixture
async def rpc(sla: Service, desk_settings: DeskSettings) -> AsyncIterator[RpcClient]:
    async with rpc_client(desk_settings) as client:
        yield client
