"""The category tree over the JSON API: everyone reads it, admins change it."""

from __future__ import annotations

from uuid import UUID

from desk_contracts.messages import CategoryView
from desk_runtime.rpc import RpcClient
from litestar import Controller, get, patch, post
from litestar.exceptions import NotFoundException

from ...accounts import User
from ...guards import admins_only, signed_in
from .schemas import CategoryChange, CategoryOut, CategoryPage, NewCategory
from .service import all_categories, change_category, create_category


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


class CategoryController(Controller):
    path = "/api/v1/categories"
    tags = ["categories"]
    guards = [signed_in]

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

    @post("/", operation_id="createCategory", status_code=201, guards=[admins_only])
    async def create_category(
        self, data: NewCategory, user: User, client: RpcClient
    ) -> CategoryOut:
        """Admin: a type (no parent), a category or a subcategory (three levels at most)."""
        return _out(await create_category(client, user, data))

    @patch("/{category_id:uuid}", operation_id="updateCategory", guards=[admins_only])
    async def update_category(
        self, category_id: UUID, data: CategoryChange, user: User, client: RpcClient
    ) -> CategoryOut:
        """Admin: rename, recolour or change the escalation contact; code and place stay."""
        return _out(await change_category(client, user, category_id, data))
