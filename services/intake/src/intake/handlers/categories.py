"""The category tree: seeded by command, changed by admins, read by everyone."""

from __future__ import annotations

from desk_contracts import ErrorItem
from desk_contracts.enums import Role
from desk_contracts.messages import (
    CategoryList,
    CategoryUpserted,
    CategoryView,
    ListCategories,
    SaveCategory,
    UpsertCategory,
)
from desk_runtime.errors import Conflict, Forbidden, Invalid, NotFound, NotYet
from desk_runtime.handlers import Handlers
from desk_runtime.service import Service, UnitOfWork

from ..store import categories as store
from ..views import category_view

handlers = Handlers()

# The fact a child node's command waits for: its parent node.
CATEGORY = "category"


async def apply_category(
    uow: UnitOfWork, command: UpsertCategory, *, create: bool | None
) -> CategoryUpserted:
    """Creates or changes a node; `create=None` (the command path) accepts either.

    A node keeps its place and code once made: incidents and contracts refer to its
    path, so moving it would silently change their meaning."""
    conn = uow.conn
    existing = await store.category(conn, command.category_id)
    if create is True and existing is not None:
        raise Conflict("category exists", errors=[ErrorItem(field="id", message="exists")])
    if create is False and existing is None:
        raise NotFound("category not found")
    parent_path: list[str] = []
    if command.parent_id is not None:
        parent = await store.category(conn, command.parent_id)
        if parent is None:
            if create is None:
                # The seed sends a tree in one go and consumers run concurrently: the
                # parent's own command may still be on its way (this one waits, parked).
                raise NotYet(CATEGORY, command.parent_id)
            raise Invalid.field("parent_id", "unknown category")
        parent_path = list(parent["path"])
    if existing is not None and (
        existing["parent_id"] != command.parent_id or existing["code"] != command.code
    ):
        raise Invalid.field("code", "a category keeps its code and parent once created")
    path = [*parent_path, command.code]
    if len(path) > 3:
        raise Invalid.field("parent_id", "the tree has three levels at most")
    if existing is None and await store.path_taken(conn, path):
        raise Conflict(
            "a sibling already has this code",
            errors=[ErrorItem(field="code", message="already used under this parent")],
        )
    await store.save(conn, command, path)
    upserted = CategoryUpserted(
        category_id=command.category_id,
        parent_id=command.parent_id,
        path=tuple(path),
        name=command.name,
        colour=command.colour,
        escalation_contact_id=command.escalation_contact_id,
    )
    await uow.publish(upserted)
    # The children that came first are created next.
    uow.arrived(CATEGORY, command.category_id)
    return upserted


@handlers.handles(UpsertCategory)
async def upsert_category(command: UpsertCategory, uow: UnitOfWork) -> None:
    """Creates or renames a node of the category tree (type / category / subcategory);
    the children that came first are created next."""
    await apply_category(uow, command, create=None)


@handlers.answers(SaveCategory)
async def save_category(query: SaveCategory, service: Service) -> CategoryView:
    """Admin: create or change a category node and announce it."""
    if query.principal.role is not Role.ADMIN:
        raise Forbidden("admins only")
    async with service.transaction() as uow:
        await apply_category(uow, query.category, create=query.create)
        row = await store.category(uow.conn, query.category.category_id)
    assert row is not None
    return category_view(row)


@handlers.answers(ListCategories)
async def list_categories(query: ListCategories, service: Service) -> CategoryList:
    """The whole tree in path order (every user picks from it when filing)."""
    return CategoryList(items=tuple(category_view(r) for r in await store.categories(service.pool)))
