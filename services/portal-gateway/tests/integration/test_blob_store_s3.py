"""The blob store on an S3-compatible bucket (SPEC §9), against a real S3 server."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from uuid import uuid4

import pytest
import pytest_asyncio
from aiobotocore.session import get_session
from desk_runtime.rpc import ServiceUnavailable
from desk_runtime.settings import DeskSettings
from desk_runtime.testing import free_port, s3_server
from portal_gateway import app as _gateway  # noqa: F401  (its modules load in this order)
from portal_gateway.blobs import S3BlobStore, blob_store

pytestmark = pytest.mark.integration

KEYS = {"aws_access_key_id": "desk", "aws_secret_access_key": "desk-secret"}


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with s3_server() as url:
        yield url


@pytest_asyncio.fixture
async def settings(endpoint: str, tmp_path: Path) -> AsyncIterator[DeskSettings]:
    bucket = f"desk-{uuid4().hex[:12]}"
    async with get_session().create_client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", **KEYS
    ) as s3:
        await s3.create_bucket(Bucket=bucket)
    yield DeskSettings(
        blob_dir=tmp_path / "spool",
        blob_url=f"s3://{bucket}/attachments/",
        s3_endpoint_url=endpoint,
        s3_access_key_id=KEYS["aws_access_key_id"],
        s3_secret_access_key=KEYS["aws_secret_access_key"],
        s3_addressing_style="path",
    )


def _upload(store: S3BlobStore, content: bytes) -> Path:
    temp = store.temp_path()
    temp.write_bytes(content)
    return temp


async def _read(store: S3BlobStore, sha256: str) -> bytes:
    return b"".join([chunk async for chunk in store.read(sha256)])


async def test_a_blob_goes_to_the_bucket_under_its_hash_and_comes_back(
    settings: DeskSettings,
) -> None:
    store = blob_store(settings)
    assert isinstance(store, S3BlobStore)
    content = b"%PDF-1.7 drawing " + bytes(range(256)) * 1000  # several read chunks
    sha256 = hashlib.sha256(content).hexdigest()
    assert not await store.exists(sha256)

    temp = _upload(store, content)
    # The bucket is shared by every gateway: no request gets to delete what it stored.
    assert await store.commit(temp, sha256) is None
    assert not temp.exists()
    assert await store.exists(sha256)
    assert await _read(store, sha256) == content

    async with store.client() as s3:
        listed = await s3.list_objects_v2(Bucket=store.bucket)
    assert [o["Key"] for o in listed["Contents"]] == [f"attachments/{sha256[:2]}/{sha256}"]
    # Nothing of the blob stays on the local disk.
    assert [p for p in settings.blobs.dir.rglob("*") if p.is_file()] == []


async def test_equal_bytes_are_stored_once(settings: DeskSettings) -> None:
    store = blob_store(settings)
    assert isinstance(store, S3BlobStore)
    content = b"the same screenshot"
    sha256 = hashlib.sha256(content).hexdigest()
    for _ in range(2):
        temp = _upload(store, content)
        await store.commit(temp, sha256)
        assert not temp.exists()
    async with store.client() as s3:
        listed = await s3.list_objects_v2(Bucket=store.bucket)
    assert listed["KeyCount"] == 1
    assert await _read(store, sha256) == content


async def test_an_unreachable_bucket_is_a_service_unavailable(tmp_path: Path) -> None:
    settings = DeskSettings(
        blob_dir=tmp_path,
        blob_url="s3://nowhere/x",
        s3_endpoint_url=f"http://127.0.0.1:{free_port()}",
        s3_access_key_id="desk",
        s3_secret_access_key="desk-secret",
    )
    store = blob_store(settings)
    temp = store.temp_path()
    temp.write_bytes(b"lost")
    with pytest.raises(ServiceUnavailable, match="blob store"):
        await store.commit(temp, hashlib.sha256(b"lost").hexdigest())
    assert not temp.exists()
