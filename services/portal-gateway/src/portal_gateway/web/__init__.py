"""The web portal for clients, staff and admins: server-rendered pages and their static
files."""

from litestar.datastructures import CacheControlHeader
from litestar.static_files import create_static_files_router

from ..domain.staffing.pages import STAFFING_PAGES
from .admin import ADMIN
from .pages import PORTAL
from .render import STATIC_DIR
from .saved_filters import SAVED_FILTERS

# Asset URLs carry a content hash (see render.ASSETS), so browsers may keep them long.
STATIC = create_static_files_router(
    path="/static",
    directories=[STATIC_DIR],
    cache_control=CacheControlHeader(max_age=7 * 24 * 3600, public=True),
    include_in_schema=False,
)

WEB_ROUTES = [PORTAL, SAVED_FILTERS, ADMIN, STAFFING_PAGES, STATIC]

__all__ = ["WEB_ROUTES"]
