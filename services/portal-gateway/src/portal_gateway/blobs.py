"""The attachment blob store and the streaming multipart reader that fills it.

Uploads are parsed chunk by chunk and written straight to a temporary file while being
hashed, so a 25 MiB drawing never sits in memory; the finished file is renamed to its
SHA-256 (content-hash storage: equal files are stored once, names are never the
client's). Only metadata leaves the gateway — the bytes never ride the broker.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from uuid import uuid4

from desk_contracts.messages import AttachmentMeta
from desk_runtime.rpc import RemoteFailure
from desk_runtime.service import Service
from desk_runtime.settings import DeskSettings
from litestar import Request
from multipart import MultipartSegment, ParserError, PushMultipartParser

from .input_hygiene import NUL, NUL_MESSAGE
from .security import clean_filename, sniff

MAX_FILES = 10
MAX_FIELD_BYTES = 1_100_000  # a description of a million characters fits
SNIFF_BYTES = 512
CHUNK = 64 * 1024


class UploadTooLarge(Exception):
    def __init__(self, filename: str, limit: int) -> None:
        super().__init__(f"{filename}: larger than the limit of {limit} bytes")
        self.filename = filename
        self.limit = limit


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


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def temp_path(self) -> Path:
        folder = self.root / "tmp"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / uuid4().hex

    def commit(self, temp: Path, sha256: str) -> bool:
        """Moves a finished upload into place; False when the content was stored already.

        Someone else's upload of the same bytes takes the right to delete the file away
        from the request that wrote it (see `_unsettled`)."""
        target = self.path_of(sha256)
        if target.exists():
            temp.unlink(missing_ok=True)
            _unsettled.pop(target, None)
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temp, target)
        return True

    async def read(self, sha256: str) -> AsyncIterator[bytes]:
        with self.path_of(sha256).open("rb") as handle:
            while chunk := handle.read(CHUNK):
                yield chunk


@dataclass
class Upload:
    """What a multipart request carried: its text fields and its stored files."""

    store: BlobStore
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
        self.created.clear()

    def discard(self) -> None:
        """The request was surely refused, so nothing of it was committed: the blobs it
        wrote go, unless another request has used the same bytes meanwhile (blobs that
        existed before belong to other attachments and are never touched)."""
        for path in self.created:
            if _unsettled.get(path) is self:
                del _unsettled[path]
                path.unlink(missing_ok=True)
        self.created.clear()

    def settle(self, error: BaseException | None, *, asked: bool) -> None:
        """Keep or discard once the request is over: `error` is what ended it (None on
        success), `asked` whether intake was asked to record the attachments by then."""
        if not asked or (error is not None and refused(error)):
            self.discard()
        else:
            self.keep()


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
    request: Request[Any, Any, Any], store: BlobStore, max_file_bytes: int
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
                        _close_part(current, text, upload, store)
                        current = None
                    elif isinstance(current, _FilePart):
                        current.size += len(event)
                        if current.size > max_file_bytes:
                            raise UploadTooLarge(current.filename, max_file_bytes)
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
    segment: MultipartSegment, store: BlobStore, upload: Upload
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


def _close_part(
    current: _FilePart | MultipartSegment | None, text: bytearray, upload: Upload, store: BlobStore
) -> None:
    if isinstance(current, _FilePart):
        current.handle.close()
        sha256 = current.hasher.hexdigest()
        if store.commit(current.temp, sha256):
            upload._created(store.path_of(sha256))
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


def blob_store(settings: DeskSettings) -> BlobStore:
    """The gateway's blob store, as the settings name it."""
    return BlobStore(settings.blob_dir)


async def read_upload(request: Request[Any, Any, Any]) -> Upload:
    """A multipart body with its files streamed into the gateway's blob store."""
    service: Service = request.app.state.service
    settings = service.settings
    return await read_multipart(request, blob_store(settings), settings.max_upload_bytes)
