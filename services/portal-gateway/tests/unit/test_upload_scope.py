"""The one rule for uploaded blobs: they go when nothing can refer to them (the request
ended before the files were handed over, or intake surely refused), and stay whenever
intake may have recorded them (success, a timeout, a 5xx)."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import pytest
from desk_contracts import Failure
from desk_runtime.rpc import RemoteFailure, ServiceUnavailable
from hypothesis import given
from hypothesis import strategies as st
from portal_gateway.blobs import BlobStore, Upload, upload_scope


def _upload(root: Path, content: bytes) -> tuple[Upload, Path]:
    """An upload that wrote one new blob, as the multipart reader leaves it."""
    store = BlobStore(root)
    upload = Upload(store)
    temp = store.temp_path()
    temp.write_bytes(content)
    sha256 = hashlib.sha256(content).hexdigest()
    assert asyncio.run(store.commit(temp, sha256))
    upload._created(store.path_of(sha256))
    return upload, store.path_of(sha256)


def _ended(upload: Upload, *, hand_over: bool, error: BaseException | None) -> None:
    def run() -> None:
        with upload_scope(upload) as files:
            if hand_over:
                assert files.hand_over() == tuple(upload.files)
            if error is not None:
                raise error

    if error is None:
        run()
    else:
        with pytest.raises(type(error)) as raised:
            run()
        assert raised.value is error  # the scope lets the request's failure through


OUTCOMES: dict[str, BaseException | None] = {
    "success": None,
    "refused": RemoteFailure(Failure(status=422, detail="invalid")),
    "conflict": RemoteFailure(Failure(status=409, detail="conflict")),
    "server-error": RemoteFailure(Failure(status=500, detail="boom")),
    "timeout": ServiceUnavailable("intake.create_incident", 5),
    "unexpected": RuntimeError("a field error, or a bug"),
}
# Blobs stay only when intake was asked and may have committed.
KEPT_AFTER_HAND_OVER = {"success", "server-error", "timeout", "unexpected"}


@pytest.mark.parametrize("outcome", list(OUTCOMES))
@pytest.mark.parametrize("hand_over", [True, False])
def test_blobs_stay_exactly_when_intake_may_have_recorded_them(
    tmp_path: Path, outcome: str, hand_over: bool
) -> None:
    upload, blob = _upload(tmp_path, f"{outcome}-{hand_over}".encode())
    _ended(upload, hand_over=hand_over, error=OUTCOMES[outcome])
    assert blob.exists() == (hand_over and outcome in KEPT_AFTER_HAND_OVER)


@given(outcome=st.sampled_from(list(OUTCOMES)), hand_over=st.booleans())
def test_a_blob_someone_else_uploaded_meanwhile_is_never_removed(
    outcome: str, hand_over: bool, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = tmp_path_factory.mktemp("blobs")
    upload, blob = _upload(root, b"shared drawing")
    other = root / "tmp" / "other"
    other.write_bytes(b"shared drawing")
    asyncio.run(BlobStore(root).commit(other, hashlib.sha256(b"shared drawing").hexdigest()))
    _ended(upload, hand_over=hand_over, error=OUTCOMES[outcome])
    assert blob.exists()


def test_a_request_without_files_passes_through(tmp_path: Path) -> None:
    with upload_scope(None) as files:
        assert files.hand_over() == ()
    with pytest.raises(ValueError, match="nothing to clean up"), upload_scope(None):
        raise ValueError("nothing to clean up")
    assert not (tmp_path / "tmp").exists()
