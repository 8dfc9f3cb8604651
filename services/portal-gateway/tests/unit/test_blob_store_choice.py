"""Which blob store the settings name, and where an S3 blob's key is."""

from __future__ import annotations

from pathlib import Path

import pytest
from desk_runtime.settings import DeskSettings
from portal_gateway import app as _gateway  # noqa: F401  (its modules load in this order)
from portal_gateway.blobs import BlobStore, S3BlobStore, blob_store, s3_location

SHA = "ab" + "0" * 62


def test_without_a_bucket_the_blobs_are_files(tmp_path: Path) -> None:
    store = blob_store(DeskSettings(blob_dir=tmp_path))
    assert isinstance(store, BlobStore)
    assert store.path_of(SHA) == tmp_path / "ab" / SHA


@pytest.mark.parametrize(
    ("url", "bucket", "prefix"),
    [
        ("s3://desk", "desk", ""),
        ("s3://desk/", "desk", ""),
        ("s3://desk/attachments", "desk", "attachments/"),
        ("s3://desk.blobs/a/b/", "desk.blobs", "a/b/"),
    ],
)
def test_a_bucket_url_names_the_bucket_and_a_prefix(url: str, bucket: str, prefix: str) -> None:
    assert s3_location(url) == (bucket, prefix)


def test_a_bucket_url_selects_the_s3_store(tmp_path: Path) -> None:
    settings = DeskSettings(
        blob_dir=tmp_path,
        blob_url="s3://desk/attachments",
        s3_endpoint_url="http://minio:9000",
        s3_access_key_id="key",
        s3_secret_access_key="secret",
    )
    store = blob_store(settings)
    assert isinstance(store, S3BlobStore)
    assert (store.bucket, store.key_of(SHA)) == ("desk", f"attachments/ab/{SHA}")
    # One store per configuration, so its client session is shared by the requests.
    assert blob_store(settings) is store
    # Uploads in progress are spooled under the local folder.
    assert store.temp_path().parent == tmp_path / "tmp"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("blob_url", "http://desk/attachments"),
        ("blob_url", "s3://UPPER/x"),
        ("blob_url", "s3://"),
        ("s3_addressing_style", "sideways"),
    ],
)
def test_a_bad_blob_setting_is_refused_by_name(field: str, value: str) -> None:
    with pytest.raises(ValueError, match=field):
        DeskSettings(**{field: value})
