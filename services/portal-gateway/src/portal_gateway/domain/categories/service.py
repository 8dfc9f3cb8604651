"""The category tree: everyone reads it (clients pick from it), admins change it (the
JSON API and the admin pages alike). Intake owns the tree; the gateway asks it and
reports its verdict."""

from __future__ import annotations

from uuid import UUID, uuid4

from desk_contracts.messages import (
    CategoryList,
    CategoryView,
    ListCategories,
    SaveCategory,
    UpsertCategory,
)
from desk_runtime.rpc import RpcClient
from litestar.exceptions import NotFoundException

from ...accounts import User
from ...web.views import CategoryInfo
from .schemas import CategoryChange, NewCategory


async def all_categories(client: RpcClient, user: User) -> list[CategoryView]:
    answer = await client.ask_as(ListCategories(principal=user.principal), CategoryList)
    return list(answer.items)


async def create_category(client: RpcClient, user: User, data: NewCategory) -> CategoryView:
    """Admin: a type (no parent), a category or a subcategory (three levels at most)."""
    command = UpsertCategory(category_id=uuid4(), **data.model_dump())
    return await client.ask_as(
        SaveCategory(principal=user.principal, category=command, create=True), CategoryView
    )


async def change_category(
    client: RpcClient, user: User, category_id: UUID, data: CategoryChange
) -> CategoryView:
    """Admin: rename, recolour or change the escalation contact; code and place stay."""
    current = next(
        (v for v in await all_categories(client, user) if v.category_id == category_id), None
    )
    if current is None:
        raise NotFoundException("category not found")
    given = data.model_fields_set
    command = UpsertCategory(
        category_id=category_id,
        parent_id=current.parent_id,
        code=current.code,
        name=data.name or current.name,
        colour=data.colour or current.colour,
        escalation_contact_id=(
            data.escalation_contact_id
            if "escalation_contact_id" in given
            else current.escalation_contact_id
        ),
    )
    return await client.ask_as(
        SaveCategory(principal=user.principal, category=command, create=False), CategoryView
    )


async def category_infos(client: RpcClient, user: User) -> list[CategoryInfo]:
    """The tree as the pages show it: path, name and colour of each node."""
    return [
        CategoryInfo(str(c.category_id), tuple(c.path), c.name, c.colour)
        for c in await all_categories(client, user)
    ]
