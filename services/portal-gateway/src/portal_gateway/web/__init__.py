"""What the portal's pages share: the reader's session, rendering in the reader's
language, form helpers, failures as pages, and the static files. The pages themselves
live with their area under `domain/<area>/pages.py`."""

from litestar.datastructures import CacheControlHeader
from litestar.static_files import create_static_files_router

from .render import STATIC_DIR

# Asset URLs carry a content hash (see render.ASSETS), so browsers may keep them long.
STATIC = create_static_files_router(
    path="/static",
    directories=[STATIC_DIR],
    cache_control=CacheControlHeader(max_age=7 * 24 * 3600, public=True),
    include_in_schema=False,
)

__all__ = ["STATIC"]
