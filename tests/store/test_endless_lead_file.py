"""A big lead file -- a large centre's 1 M rows, in Shift_JIS or GB18030 -- is read as a stream: the reader yields
rows of a file that never ends, having read a bounded share of it, and a bad row costs that row only. Bounded
memory by construction: a reader that loaded the file first would never return (the rate and the peak memory on
real files: ``dialer bench import-quote``).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from itertools import islice

import pytest

from dialer.campaign.leadimport import ImportedLead, LeadCsvReader, RowError
from dialer.campaign.leadimport.model import READ_BUFFER, SNIFF_BYTES


class EndlessLeadFile(io.RawIOBase):
    """A lead file with no end: a header, then row after row (``row(n)``), encoded; counts the bytes handed out."""

    def __init__(self, header: str, row: Callable[[int], str], encoding: str) -> None:
        self._pending = (header + "\n").encode(encoding)
        self._row, self._encoding, self._n = row, encoding, 0
        self.handed_out = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while len(self._pending) < len(buffer):
            self._n += 1
            self._pending += (self._row(self._n) + "\n").encode(self._encoding)
        size = len(buffer)
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        self.handed_out += size
        return size


def _japanese(n: int) -> str:
    phone = "090-" if n % 100 else "0"  # every 100th number too short: a bad row
    return f"{n},山田,太郎{n % 7},{phone}1{n // 10000:03d}-{n % 10000:04d}"


def _chinese(n: int) -> str:
    phone = "138" if n % 100 else "1"
    return f"{n},王,小明{n % 7},{phone}{n:08d}"


@pytest.mark.parametrize(
    ("encoding", "region", "row", "names"),
    [("cp932", "JP", _japanese, ("山田", "太郎1")), ("gb18030", "CN", _chinese, ("王", "小明1"))],
    ids=["sjis", "gb18030"],
)
def test_a_lead_file_without_end_is_read_as_a_stream(
    encoding: str, region: str, row: Callable[[int], str], names: tuple[str, str]
) -> None:
    source = EndlessLeadFile("external_id,last_name,first_name,phone", row, encoding)
    reader = LeadCsvReader(io.BufferedReader(source), default_region=region, encoding=encoding, name="endless.csv")
    first = list(islice(reader, 20_000))
    leads = [r for r in first if isinstance(r, ImportedLead)]
    errors = [r for r in first if isinstance(r, RowError)]
    assert len(errors) == 200  # every 100th row, each reported, nothing else lost
    assert len(leads) == 19_800
    assert (leads[0].last_name, leads[0].first_name) == names
    assert {e.row % 100 for e in errors} == {0}
    assert leads[-1].phone.startswith("+81" if region == "JP" else "+86")
    # 20 000 rows of ~40 bytes read, plus the sniffed head and the read-ahead buffers: not the file.
    assert source.handed_out < 20_000 * 60 + SNIFF_BYTES + 2 * READ_BUFFER
