"""The attachment blob store and the streaming multipart reader that fills it.

Uploads are parsed chunk by chunk and written straight to a temporary file while being
hashed, so a 25 MiB drawing never sits in memory; the finished file is renamed to its
SHA-256 (content-hash storage: equal files are stored once, names are never the
client's). Only metadata leaves the gateway — the bytes never ride the broker.

The store is a folder (DESK_BLOB_DIR) or an S3-compatible bucket (DESK_BLOB_URL=
s3://bucket/prefix, SPEC §9), chosen by `blob_store` from the settings.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal, Protocol
from uuid import uuid4

from desk_contracts.messages import AttachmentMeta
from desk_runtime.rpc import RemoteFailure, ServiceUnavailable
from desk_runtime.service import Service
from desk_runtime.settings import DeskSettings
from litestar import Request
from multipart import MultipartSegment, ParserError, PushMultipartParser

from .deps import READS_MULTIPART
from .input_hygiene import NUL, NUL_MESSAGE
from .security import clean_filename, sniff

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client

MAX_FILES = 10
MAX_FIELD_BYTES = 1_100_000  # a description of a million characters fits
SNIFF_BYTES = 512
CHUNK = 64 * 1024


class UploadTooLarge(Exception):
    """A file over the limit. `fields` holds the form's text fields read before it (a
    browser sends them in page order, the text before the files), so a page can offer
    the typed text back instead of losing it."""

    def __init__(self, filename: str, limit: int, fields: dict[str, str] | None = None) -> None:
        super().__init__(f"{filename}: larger than the limit of {limit} bytes")
        self.filename = filename
        self.limit = limit
        self.fields = dict(fields or {})


# Upload routes lift the web framework's own body limit (10 MB by default, below the
# configured file limit): `read_multipart` bounds every file, field and the file count.
UPLOAD_ROUTE: dict[str, Any] = {"opt": {READS_MULTIPART: True}, "request_max_body_size": None}


class BadUpload(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


# Blobs are shared by content hash, and intake (which records attachments) cannot be asked
# who refers to a blob, so a stored blob is deleted only when that is surely safe: the
# request that wrote the file was refused for certain, and no other request has used the
# same bytes since. This maps each file written by a request not yet settled to that
# request; `commit` of the same bytes by anyone else removes the entry, and so does the
# writer settling in any other way than a refusal. Every check and change happens in
# plain synchronous code on the gateway's one event loop, so none interleave; the store
# is written by one gateway process. A blob kept when it was not needed is only wasted
# space, never a broken download.
_unsettled: dict[Path, Upload] = {}
# Several gateway processes may share the folder (instances on one host, or a shared
# mount): one that finds the bytes stored already moves the file's modification time on,
# and a writer deletes its file only if that time is still the one it wrote, both under
# the lock of the file's folder (`_folder_locked`), so a refusal in one process never
# deletes a blob another process's request has just used.
_written_at: dict[Path, int] = {}


@contextmanager
def _folder_locked(folder: Path) -> Iterator[None]:
    """Commits and deletions in one folder of the store, one at a time across every
    process sharing it (an advisory lock on a file of the folder's own)."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield  # closing the file releases the lock


class Blobs(Protocol):
    """What the upload reader and the download need of a store."""

    def temp_path(self) -> Path:
        """A fresh local file for an upload in progress."""
        ...

    async def commit(self, temp: Path, sha256: str) -> Path | None:
        """Stores a finished upload (and removes `temp`); the local file the request may
        delete again if it is refused, or None when it may not."""
        ...

    async def exists(self, sha256: str) -> bool: ...

    def read(self, sha256: str) -> AsyncIterator[bytes]: ...


class BlobStore:
    """Blobs as files under `root`, in a folder per first two hex digits."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def temp_path(self) -> Path:
        folder = self.root / "tmp"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / uuid4().hex

    async def commit(self, temp: Path, sha256: str) -> Path | None:
        """Moves a finished upload into place; None when the content was stored already.

        Someone else's upload of the same bytes takes the right to delete the file away
        from the request that wrote it (see `_unsettled`)."""
        return self._move_into_place(temp, self.path_of(sha256))

    @staticmethod
    def _move_into_place(temp: Path, target: Path) -> Path | None:
        with _folder_locked(target.parent):
            if target.exists():
                temp.unlink(missing_ok=True)
                _unsettled.pop(target, None)
                _written_at.pop(target, None)
                # In use now: a writer in another process must not delete it any more.
                stat = target.stat()
                os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))
                return None
            os.replace(temp, target)
            _written_at[target] = target.stat().st_mtime_ns
            return target

    async def exists(self, sha256: str) -> bool:
        return self.path_of(sha256).is_file()

    async def read(self, sha256: str) -> AsyncIterator[bytes]:
        with self.path_of(sha256).open("rb") as handle:
            while chunk := handle.read(CHUNK):
                yield chunk


class S3BlobStore:
    """Blobs as objects `<prefix><first two hex digits>/<sha256>` in an S3-compatible
    bucket; uploads in progress are spooled under `spool` first.

    A bucket is shared by every gateway instance, so no request can know that nobody
    else has stored the same bytes meanwhile: the blobs of a refused request are kept
    (space, never a broken download); a lifecycle rule may expire unreferenced ones."""

    def __init__(self, spool: Path, bucket: str, prefix: str, client: dict[str, Any]) -> None:
        from aiobotocore.session import get_session

        self.spool = BlobStore(spool)
        self.bucket = bucket
        self.prefix = prefix
        self._client = client
        self._session = get_session()

    def key_of(self, sha256: str) -> str:
        return f"{self.prefix}{sha256[:2]}/{sha256}"

    def temp_path(self) -> Path:
        return self.spool.temp_path()

    def client(self) -> Any:
        """An S3 client as an async context manager (one per operation)."""
        return self._session.create_client("s3", **self._client)

    @contextlib.asynccontextmanager
    async def _unavailable_on_failure(self, operation: str) -> AsyncIterator[None]:
        """A bucket that cannot be reached answers like a service that does not (503)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except (BotoCoreError, ClientError, OSError) as error:
            raise ServiceUnavailable(f"blob store {operation}", 0, str(error)) from error

    async def commit(self, temp: Path, sha256: str) -> Path | None:
        try:
            if not await self.exists(sha256):
                s3: S3Client
                async with self._unavailable_on_failure("write"), self.client() as s3:
                    with temp.open("rb") as body:
                        await s3.put_object(
                            Bucket=self.bucket,
                            Key=self.key_of(sha256),
                            Body=body,
                            ContentType="application/octet-stream",
                        )
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
        return None

    async def exists(self, sha256: str) -> bool:
        from botocore.exceptions import ClientError

        s3: S3Client
        async with self._unavailable_on_failure("lookup"), self.client() as s3:
            try:
                await s3.head_object(Bucket=self.bucket, Key=self.key_of(sha256))
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                    return False
                raise
        return True

    async def read(self, sha256: str) -> AsyncIterator[bytes]:
        s3: S3Client
        async with self.client() as s3:
            answer = await s3.get_object(Bucket=self.bucket, Key=self.key_of(sha256))
            async with answer["Body"] as body:
                async for chunk in body.iter_chunks(CHUNK):
                    yield chunk


def blob_store(settings: DeskSettings) -> Blobs:
    """The store the settings name: the bucket of DESK_BLOB_URL, else DESK_BLOB_DIR."""
    if settings.blob_url is None:
        return BlobStore(settings.blob_dir)
    return _s3_store(
        settings.blob_url,
        settings.blob_dir,
        settings.s3_endpoint_url,
        settings.s3_region,
        settings.s3_access_key_id,
        settings.s3_secret_access_key,
        settings.s3_addressing_style,
    )


def s3_location(blob_url: str) -> tuple[str, str]:
    """(bucket, key prefix) of s3://bucket[/prefix]; the prefix ends with / when set."""
    bucket, _, prefix = blob_url.removeprefix("s3://").partition("/")
    prefix = prefix.strip("/")
    return bucket, f"{prefix}/" if prefix else ""


@lru_cache(maxsize=8)
def _s3_store(
    blob_url: str,
    spool: Path,
    endpoint_url: str | None,
    region: str,
    access_key_id: str | None,
    secret_access_key: str | None,
    addressing_style: Literal["auto", "path", "virtual"],
) -> S3BlobStore:
    # One store (and so one client session) per configuration, for the process.
    from botocore.config import Config

    bucket, prefix = s3_location(blob_url)
    client: dict[str, Any] = {
        "region_name": region,
        "endpoint_url": endpoint_url,
        "config": Config(s3={"addressing_style": addressing_style}),
    }
    if access_key_id is not None:
        client["aws_access_key_id"] = access_key_id
        client["aws_secret_access_key"] = secret_access_key
    return S3BlobStore(spool, bucket, prefix, client)


@dataclass
class Upload:
    """What a multipart request carried: its text fields and its stored files."""

    store: Blobs
    fields: dict[str, str] = field(default_factory=dict)
    files: list[AttachmentMeta] = field(default_factory=list)
    created: list[Path] = field(default_factory=list)

    def _created(self, path: Path) -> None:
        self.created.append(path)
        _unsettled[path] = self

    def keep(self) -> None:
        """The attachments were (or may have been) committed — on success, and on a
        timeout or any other unclear outcome: the blobs stay."""
        for path in self.created:
            if _unsettled.get(path) is self:
                del _unsettled[path]
                _written_at.pop(path, None)
        self.created.clear()

    def discard(self) -> None:
        """The request was surely refused, so nothing of it was committed: the blobs it
        wrote go, unless another request has used the same bytes meanwhile (blobs that
        existed before belong to other attachments and are never touched)."""
        for path in self.created:
            if _unsettled.get(path) is self:
                del _unsettled[path]
                _delete_unused(path)
        self.created.clear()

    def settle(self, error: BaseException | None, *, asked: bool) -> None:
        """Keep or discard once the request is over: `error` is what ended it (None on
        success), `asked` whether intake was asked to record the attachments by then."""
        if not asked or (error is not None and refused(error)):
            self.discard()
        else:
            self.keep()


def _delete_unused(path: Path) -> None:
    """Delete a blob this process wrote unless another process has used it since."""
    with _folder_locked(path.parent):
        written = _written_at.pop(path, None)
        with contextlib.suppress(FileNotFoundError):
            if written is not None and path.stat().st_mtime_ns == written:
                path.unlink()


class UploadScope:
    """One request's use of its upload: the files are handed to intake's request once."""

    def __init__(self, upload: Upload | None) -> None:
        self.upload = upload
        self.handed_over = False

    def hand_over(self) -> tuple[AttachmentMeta, ...]:
        """The files for the request that records them; from now on intake may have."""
        self.handed_over = True
        return tuple(self.upload.files) if self.upload is not None else ()


@contextmanager
def upload_scope(upload: Upload | None) -> Iterator[UploadScope]:
    """The one rule for the blobs a request uploaded, whatever ends it:

    - it ends before the files were handed to intake (a bad form, a wrong CSRF token, a
      field error): nothing refers to the blobs, they go;
    - intake refused for certain (a 4xx, raised inside its transaction): they go;
    - intake answered, or the outcome is unclear (a timeout, a lost connection, a 5xx, a
      cancelled request): they stay, since intake may have recorded them.

    Usage: `with upload_scope(upload) as scope: … ask(…, attachments=scope.hand_over())`."""
    scope = UploadScope(upload)
    try:
        yield scope
    except BaseException as error:
        if upload is not None:
            upload.settle(error, asked=scope.handed_over)
        raise
    if upload is not None:
        upload.settle(None, asked=scope.handed_over)


def refused(error: BaseException) -> bool:
    """True when intake surely did not commit: it answered with a refusal (a 4xx is
    raised inside its transaction, which rolls back). A timeout, a lost connection, a
    cancelled request or a 5xx may follow a commit."""
    return isinstance(error, RemoteFailure) and 400 <= error.failure.status < 500


@dataclass
class _FilePart:
    filename: str
    declared_type: str
    temp: Path
    handle: IO[bytes]
    hasher: Any = field(default_factory=hashlib.sha256)
    size: int = 0
    head: bytes = b""


def _boundary(content_type: str) -> str:
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "boundary" and value:
            return value.strip('"')
    raise BadUpload("body", "multipart body without a boundary")


async def read_multipart(
    request: Request[Any, Any, Any], store: Blobs, max_file_bytes: int
) -> Upload:
    """Parses the request body as it arrives; raises UploadTooLarge or BadUpload after
    removing whatever it had written."""
    upload = Upload(store)
    content_length = int(request.headers.get("content-length") or -1)
    if content_length > MAX_FILES * max_file_bytes + 4 * MAX_FIELD_BYTES:
        raise UploadTooLarge("body", max_file_bytes)
    current: _FilePart | MultipartSegment | None = None
    text = bytearray()
    try:
        with PushMultipartParser(
            _boundary(request.headers.get("content-type", "")),
            max_header_size=8192,
            max_segment_count=MAX_FILES + 20,
        ) as parser:
            async for chunk in request.stream():
                for event in parser.parse(chunk):
                    if isinstance(event, MultipartSegment):
                        current = _open_part(event, store, upload)
                        text.clear()
                    elif event is None:
                        await _close_part(current, text, upload, store)
                        current = None
                    elif isinstance(current, _FilePart):
                        current.size += len(event)
                        if current.size > max_file_bytes:
                            raise UploadTooLarge(current.filename, max_file_bytes, upload.fields)
                        if len(current.head) < SNIFF_BYTES:
                            current.head += event[: SNIFF_BYTES - len(current.head)]
                        current.hasher.update(event)
                        current.handle.write(event)
                    elif current is not None:
                        text += event
                        if len(text) > MAX_FIELD_BYTES:
                            raise BadUpload(current.name, "field too long")
            if not parser.closed:
                raise BadUpload("body", "the multipart body ended early")
    except ParserError as error:
        _abandon(current)
        upload.discard()
        raise BadUpload("body", f"malformed multipart body: {error}") from error
    except BaseException:
        _abandon(current)
        upload.discard()
        raise
    return upload


def _open_part(
    segment: MultipartSegment, store: Blobs, upload: Upload
) -> _FilePart | MultipartSegment | None:
    if NUL in segment.name:
        raise BadUpload("body", f"a field name {NUL_MESSAGE}")
    if NUL in (segment.filename or ""):
        raise BadUpload(segment.name, f"the file name {NUL_MESSAGE}")
    if NUL in (segment.content_type or ""):
        raise BadUpload(segment.name, f"the content type {NUL_MESSAGE}")
    if segment.filename is None:
        return segment
    if segment.filename == "":
        return None  # a browser's empty file input
    if len(upload.files) >= MAX_FILES:
        raise BadUpload("files", f"at most {MAX_FILES} files per request")
    temp = store.temp_path()
    return _FilePart(
        filename=clean_filename(segment.filename),
        declared_type=(segment.content_type or "application/octet-stream")[:255],
        temp=temp,
        handle=temp.open("wb"),
    )


async def _close_part(
    current: _FilePart | MultipartSegment | None, text: bytearray, upload: Upload, store: Blobs
) -> None:
    if isinstance(current, _FilePart):
        current.handle.close()
        sha256 = current.hasher.hexdigest()
        created = await store.commit(current.temp, sha256)
        if created is not None:
            upload._created(created)
        upload.files.append(
            AttachmentMeta(
                attachment_id=uuid4(),
                filename=current.filename,
                size=current.size,
                sha256=sha256,
                declared_type=current.declared_type,
                sniffed_type=sniff(current.head),
            )
        )
    elif isinstance(current, MultipartSegment):
        try:
            value = text.decode("utf-8")
        except UnicodeDecodeError as error:
            raise BadUpload(current.name, "not UTF-8 text") from error
        if NUL in value:
            raise BadUpload(current.name, NUL_MESSAGE)
        upload.fields[current.name] = value


def _abandon(current: _FilePart | MultipartSegment | None) -> None:
    if isinstance(current, _FilePart):
        with contextlib.suppress(Exception):
            current.handle.close()
        current.temp.unlink(missing_ok=True)


async def store_file(
    upload: Upload, filename: str, declared_type: str, content: bytes
) -> AttachmentMeta:
    """A file that arrived whole (an e-mail's attachment) stored as an uploaded file is:
    by its hash, its type sniffed, its name cleaned, and kept or discarded with the
    upload it joins (`upload_scope`)."""
    meta = await store_blob(upload, filename, declared_type, content)
    upload.files.append(meta)
    return meta


async def store_blob(
    upload: Upload, filename: str, declared_type: str, content: bytes
) -> AttachmentMeta:
    """`store_file` without listing the file among the upload's files: the request
    hands it over apart (the original of a mail, kept internal), and it is kept or
    discarded with the upload all the same."""
    temp = upload.store.temp_path()
    temp.write_bytes(content)
    sha256 = hashlib.sha256(content).hexdigest()
    created = await upload.store.commit(temp, sha256)
    if created is not None:
        upload._created(created)
    meta = AttachmentMeta(
        attachment_id=uuid4(),
        filename=clean_filename(filename),
        size=len(content),
        sha256=sha256,
        declared_type=(declared_type or "application/octet-stream")[:255],
        sniffed_type=sniff(content[:SNIFF_BYTES]),
    )
    return meta


async def read_upload(request: Request[Any, Any, Any]) -> Upload:
    """A multipart body with its files streamed into the gateway's blob store."""
    service: Service = request.app.state.service
    settings = service.settings
    return await read_multipart(request, blob_store(settings), settings.max_upload_bytes)
