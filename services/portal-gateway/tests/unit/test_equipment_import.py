"""Reading an imported equipment list: a readable table gives its rows by column and
rejects rows of the wrong shape; anything else is malformed, whole."""

from __future__ import annotations

import pytest
from portal_gateway.domain.equipment.imports import MAX_BYTES, Malformed, read_csv
from portal_gateway.domain.equipment.words import RU
from portal_gateway.web.i18n import translator


def test_rows_by_column_with_a_byte_order_mark_and_semicolons() -> None:
    data = (
        "\ufeffModel;Manufacturer;Serial_Number;warranty_until\r\n"
        "LaserJet;HP;cnb1;2027-01-31\r\n"
        "\r\n"
        '"Press, big";Canon;"X;2";\r\n'
    ).encode()
    read = read_csv(data)
    assert [(r.line, r.cells) for r in read.rows] == [
        (2, {"model": "LaserJet", "manufacturer": "HP", "serial_number": "cnb1",
             "warranty_until": "2027-01-31"}),
        (4, {"model": "Press, big", "manufacturer": "Canon", "serial_number": "X;2",
             "warranty_until": ""}),
    ]  # fmt: skip
    assert read.rejected == []


def test_a_row_of_the_wrong_shape_is_rejected_alone() -> None:
    read = read_csv(b"model,manufacturer,serial_number\nA,HP,1\nB,HP\nC,HP,3,extra\n")
    assert [r.line for r in read.rows] == [2]
    assert [(r.line, r.field, r.values) for r in read.rejected] == [
        (3, "row", {"cells": "2", "columns": "3"}),
        (4, "row", {"cells": "4", "columns": "3"}),
    ]


UNKNOWN = "unknown column {column}; the columns are {columns}"
TWICE = "the column {column} appears twice"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "the file is empty"),
        (b"\n \n", "the file is empty"),
        (b"\xff\xfe\x00m\x00o", "the file is not UTF-8 text"),
        (b"model,manufacturer,serial_number\n", "the file has a header but no rows"),
        (b"model,maker,serial_number\nA,HP,1\n", UNKNOWN),
        (b"model,serial_number\nA,1\n", "the column {column} is missing"),
        (b"model,model,manufacturer,serial_number\nA,A,HP,1\n", TWICE),
        (b'model,manufacturer,serial_number\nA,"HP,1\n', "line {line} cannot be read: {error}"),
        (b"x" * (MAX_BYTES + 1), "the file is larger than {limit} bytes"),
    ],
)  # fmt: skip
def test_a_malformed_file_is_refused_whole(data: bytes, reason: str) -> None:
    with pytest.raises(Malformed) as malformed:
        read_csv(data)
    assert malformed.value.reason == reason


def test_every_reason_reads_in_russian() -> None:
    reasons = [
        "the file is larger than {limit} bytes",
        "the file is not UTF-8 text",
        "the file is empty",
        "line {line} cannot be read: {error}",
        "the file has a header but no rows",
        "unknown column {column}; the columns are {columns}",
        "the column {column} appears twice",
        "the column {column} is missing",
        "more than {limit} rows",
        "has {cells} cells; the header has {columns}",
        # assets' reasons for a row
        "is required",
        "is recorded already",
        "repeats line {line} of this file",
        "not a date (write YYYY-MM-DD)",
        "not a whole number",
        "out of range",
        "too long",
        "must lie between the years 1970 and 2200",
        "invalid value",
        "must not be before the installation date",
    ]
    assert all(reason in RU for reason in reasons)
    t = translator("ru")
    assert t("repeats line {line} of this file", line=3) == "повторяет строку 3 этого файла"
