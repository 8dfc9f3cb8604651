"""Two gateway processes on one blob folder: a request refused in one deletes the file it
wrote only if no request of the other has used the same bytes since."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from portal_gateway import app as _gateway  # noqa: F401  (its modules load in this order)
from portal_gateway.blobs import BlobStore, Upload, store_file

CONTENT = b"%PDF-1.7 the same drawing, attached twice"
SHA = hashlib.sha256(CONTENT).hexdigest()

# The other gateway process: stores the same bytes for a request of its own, which is
# then recorded (kept).
OTHER_PROCESS = """
import asyncio, sys
from pathlib import Path
from portal_gateway import app
from portal_gateway.blobs import BlobStore, Upload, store_file

async def main() -> None:
    upload = Upload(BlobStore(Path(sys.argv[1])))
    await store_file(upload, "drawing.pdf", "application/pdf", sys.argv[2].encode())
    upload.keep()

asyncio.run(main())
"""


def _other_gateway_stores(root: Path) -> None:
    subprocess.run(
        [sys.executable, "-c", OTHER_PROCESS, str(root), CONTENT.decode()],
        check=True,
        timeout=120,
    )


async def test_a_refusal_keeps_a_blob_another_process_has_used_since(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    refused = Upload(store)
    await store_file(refused, "drawing.pdf", "application/pdf", CONTENT)
    _other_gateway_stores(tmp_path)
    refused.discard()
    assert store.path_of(SHA).read_bytes() == CONTENT


async def test_a_refusal_deletes_a_blob_nobody_else_used(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    refused = Upload(store)
    await store_file(refused, "drawing.pdf", "application/pdf", CONTENT)
    refused.discard()
    assert not store.path_of(SHA).exists()
    # Stored again later by the other process, it is there for its request.
    _other_gateway_stores(tmp_path)
    assert store.path_of(SHA).read_bytes() == CONTENT
