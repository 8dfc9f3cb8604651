"""A list of devices as a CSV file (SPEC §13), read at the edge: UTF-8 (a byte-order
mark is fine), comma, semicolon or tab separated, a header naming the columns. A file
that cannot be read as such a table (not text, no header, an unknown, missing or
repeated column, a broken quote, too many rows) is malformed: nothing of it is imported.
A row with more or fewer cells than the header is rejected alone; assets checks the
rest of each row."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from desk_contracts.messages import EQUIPMENT_FIELDS, MAX_IMPORT_ROWS, ImportRow, RowRejection

REQUIRED = ("model", "manufacturer", "serial_number")
MAX_BYTES = 2 * 1024 * 1024
DELIMITERS = ",;\t"


@dataclass(frozen=True)
class Malformed(Exception):
    """Why the file as a whole cannot be read: an English phrase and its values."""

    reason: str
    values: dict[str, str]


@dataclass(frozen=True)
class ReadFile:
    rows: list[ImportRow]
    rejected: list[RowRejection]


def _delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_csv(data: bytes) -> ReadFile:
    """The file's rows by column name, and the rows rejected for their shape; raises
    Malformed for a file that is not a readable table."""
    if len(data) > MAX_BYTES:
        raise Malformed("the file is larger than {limit} bytes", {"limit": str(MAX_BYTES)})
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Malformed("the file is not UTF-8 text", {}) from None
    if "\x00" in text:
        raise Malformed("the file is not UTF-8 text", {})
    first = next((line for line in text.splitlines() if line.strip()), None)
    if first is None:
        raise Malformed("the file is empty", {})
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first), strict=True)
    rows: list[ImportRow] = []
    rejected: list[RowRejection] = []
    header: list[str] | None = None
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            line = reader.line_num
            if header is None:
                header = [cell.strip().lower() for cell in cells]
                _check_header(header)
                continue
            if len(cells) != len(header):
                rejected.append(
                    RowRejection(
                        line=line,
                        field="row",
                        reason="has {cells} cells; the header has {columns}",
                        values={"cells": str(len(cells)), "columns": str(len(header))},
                    )
                )
                continue
            rows.append(ImportRow(line=line, cells=dict(zip(header, cells, strict=True))))
            if len(rows) > MAX_IMPORT_ROWS:
                raise Malformed("more than {limit} rows", {"limit": str(MAX_IMPORT_ROWS)})
    except csv.Error as error:
        raise Malformed(
            "line {line} cannot be read: {error}",
            {"line": str(reader.line_num), "error": str(error)},
        ) from None
    if not rows and not rejected:
        raise Malformed("the file has a header but no rows", {})
    return ReadFile(rows, rejected)


def _check_header(header: list[str]) -> None:
    for name in header:
        if name not in EQUIPMENT_FIELDS:
            raise Malformed(
                "unknown column {column}; the columns are {columns}",
                {"column": name or '""', "columns": ", ".join(EQUIPMENT_FIELDS)},
            )
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise Malformed("the column {column} appears twice", {"column": repeated[0]})
    for name in REQUIRED:
        if name not in header:
            raise Malformed("the column {column} is missing", {"column": name})
