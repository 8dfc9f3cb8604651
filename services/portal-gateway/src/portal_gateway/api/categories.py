"""The category tree: everyone reads it (clients pick from it), admins change it.
Intake owns the tree; the gateway asks it and reports its verdict."""

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
from litestar import Controller, get, patch, post
from litestar.di import Provide
from litestar.exceptions import NotFoundException

from ..accounts import User
from ..schemas import CategoryChange, CategoryOut, CategoryPage, NewCategory
from .deps import current_user, require_admin, rpc


def _out(view: CategoryView) -> CategoryOut:
    return CategoryOut(
        id=view.category_id,
        parent_id=view.parent_id,
        code=view.code,
        path=list(view.path),
        name=view.name,
        colour=view.colour,
        escalation_contact_id=view.escalation_contact_id,
    )


async def all_categories(client: RpcClient, user: User) -> list[CategoryView]:
    answer = await client.ask_as(ListCategories(principal=user.principal), CategoryList)
    return list(answer.items)


# --- shared by the JSON API and the admin pages ------------------------------------------


async def create_category(client: RpcClient, user: User, data: NewCategory) -> CategoryView:
    """Admin: a type (no parent), a category or a subcategory (three levels at most)."""
    require_admin(user)
    command = UpsertCategory(category_id=uuid4(), **data.model_dump())
    return await client.ask_as(
        SaveCategory(principal=user.principal, category=command, create=True), CategoryView
    )


async def change_category(
    client: RpcClient, user: User, category_id: UUID, data: CategoryChange
) -> CategoryView:
    """Admin: rename, recolour or change the escalation contact; code and place stay."""
    require_admin(user)
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


class CategoryController(Controller):
    path = "/api/v1/categories"
    tags = ["categories"]
    dependencies = {"user": Provide(current_user), "client": Provide(rpc, sync_to_thread=False)}

    @get("/", operation_id="listCategories")
    async def list_categories(self, user: User, client: RpcClient) -> CategoryPage:
        """The whole tree in path order, with codes, names, colours and contacts."""
        items = [_out(v) for v in await all_categories(client, user)]
        return CategoryPage(total=len(items), items=items)

    @get("/{category_id:uuid}", operation_id="getCategory")
    async def get_category(self, category_id: UUID, user: User, client: RpcClient) -> CategoryOut:
        for view in await all_categories(client, user):
            if view.category_id == category_id:
                return _out(view)
        raise NotFoundException("category not found")

    @post("/", operation_id="createCategory", status_code=201)
    async def create_category(
        self, data: NewCategory, user: User, client: RpcClient
    ) -> CategoryOut:
        """Admin: a type (no parent), a category or a subcategory (three levels at most)."""
        return _out(await create_category(client, user, data))

    @patch("/{category_id:uuid}", operation_id="updateCategory")
    async def update_category(
        self, category_id: UUID, data: CategoryChange, user: User, client: RpcClient
    ) -> CategoryOut:
        """Admin: rename, recolour or change the escalation contact; code and place stay."""
        return _out(await change_category(client, user, category_id, data))
