"""Knowledge's tables, and the only place its code speaks SQL: articles (`articles`),
suggestions and feedback (`suggestions`), the facts kept from other services' events
(`facts`) and the report's reads (`report`)."""

from __future__ import annotations

from typing import TypeAlias

import asyncpg

Db: TypeAlias = asyncpg.Connection | asyncpg.Pool
