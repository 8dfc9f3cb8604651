"""`python -m routing.reconcile`: recount every agent's load from the open assignments
(the service also does this at each start), printing what was corrected."""

from __future__ import annotations

import asyncio

from desk_runtime.db import create_pool
from desk_runtime.logging import configure_logging
from desk_runtime.settings import DeskSettings

from .assignment import reconcile_loads


async def reconcile(settings: DeskSettings) -> list[tuple[str, int, int]]:
    pool = await create_pool(settings, "routing", min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            changes = await reconcile_loads(conn)
    finally:
        await pool.close()
    return [(str(agent_id), old, new) for agent_id, old, new in changes]


def main() -> None:
    settings = DeskSettings()
    configure_logging("routing", settings.log_level, settings.log_format)
    changes = asyncio.run(reconcile(settings))
    for agent_id, old, new in changes:
        print(f"{agent_id}: load {old} -> {new}")
    print(f"{len(changes)} agent load(s) corrected")


if __name__ == "__main__":
    main()
