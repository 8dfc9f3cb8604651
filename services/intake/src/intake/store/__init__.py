"""The only place intake speaks SQL: one module per aggregate, no business rules.

`incidents` (rows, lists, counts, ratings), `entries` (history lines and their
attachments) and `categories` (the tree). Handlers decide; these persist and read.
"""

from __future__ import annotations

from typing import TypeAlias

import asyncpg

Db: TypeAlias = asyncpg.Connection | asyncpg.Pool
