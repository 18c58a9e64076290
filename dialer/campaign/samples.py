"""Deterministic fictional lead lists: the demo list (campaigns/leads/demo.csv) and the import benchmark's 1 M rows.

Numbers are valid for phonenumbers (area codes and ranges that exist) but the people are invented. They are spread
over many countries and zones (Hawaii to New Zealand) so that at any hour of the UTC day a good share of the list
is inside 08:00-21:00 local time: the demo dials whenever it is started. With ``bad_rows`` about one row in 80 is
deliberately wrong (invalid or missing number, duplicate, not a number), and a few cells carry the awkward content
an import must survive (embedded newline, formula-looking text, non-ASCII names).

Regenerate the demo list with ``python -m dialer.campaign.samples campaigns/leads/demo.csv 2000``.
"""

from __future__ import annotations

import csv
import random
import sys
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

SAMPLE_HEADER: tuple[str, ...] = (
    "external_id",
    "first_name",
    "last_name",
    "phone",
    "mobile",
    "email",
    "postal_code",
    "priority",
    "company",
    "plan",
    "notes",
)


@dataclass(frozen=True, slots=True)
class _Block:
    """A number range: E.164 digits = prefix + `free` random digits (first of them from `first_digits`)."""

    country: str
    prefix: str
    free: int
    weight: float
    first_digits: str = "23456789"
    zip_codes: tuple[str, ...] = ()


_BLOCKS: tuple[_Block, ...] = (
    # United States (incl. Hawaii, Alaska, Arizona without DST); ZIPs match the area code's zone.
    _Block("US", "1212", 7, 5, zip_codes=("10001", "10016", "10128")),
    _Block("US", "1617", 7, 3, zip_codes=("02108", "02116")),
    _Block("US", "1305", 7, 3, zip_codes=("33101", "33130")),
    _Block("US", "1312", 7, 4, zip_codes=("60601", "60614")),
    _Block("US", "1713", 7, 3, zip_codes=("77002", "77019")),
    _Block("US", "1303", 7, 3, zip_codes=("80202", "80218")),
    _Block("US", "1602", 7, 2, zip_codes=("85004", "85016")),
    _Block("US", "1415", 7, 4, zip_codes=("94103", "94110")),
    _Block("US", "1206", 7, 3, zip_codes=("98101", "98109")),
    _Block("US", "1808", 7, 5, zip_codes=("96813", "96815")),
    _Block("US", "1907", 7, 4, zip_codes=("99501", "99503")),
    # Canada (Newfoundland at -3:30, Saskatchewan without DST)
    _Block("CA", "1416", 7, 2),
    _Block("CA", "1604", 7, 2),
    _Block("CA", "1403", 7, 1),
    _Block("CA", "1514", 7, 1),
    _Block("CA", "1902", 7, 1),
    _Block("CA", "1709", 7, 1),
    _Block("CA", "1306", 7, 1),
    # Europe
    _Block("GB", "44203", 7, 3, first_digits="0123456789"),
    _Block("GB", "44161", 7, 2),
    _Block("GB", "44131", 7, 1, first_digits="2345678"),
    _Block("DE", "4930", 8, 2),
    _Block("FR", "331", 8, 2),
    _Block("ES", "3491", 7, 1),
    # Africa, Middle East, Asia, Oceania
    _Block("ZA", "2711", 7, 2),
    _Block("AE", "9714", 7, 2, first_digits="2345678"),
    _Block("IN", "9122", 8, 2, first_digits="234567"),
    _Block("IN", "9198", 8, 2, first_digits="0123456789"),
    _Block("SG", "656", 7, 2, first_digits="1234578"),
    _Block("PH", "6328", 7, 1),
    _Block("JP", "813", 8, 3),
    _Block("JP", "816", 8, 2),
    _Block("AU", "6129", 7, 3, first_digits="0123456789"),
    _Block("AU", "6139", 7, 2, first_digits="0123456789"),
    _Block("AU", "6189", 7, 2, first_digits="0123456789"),
    _Block("AU", "6173", 7, 1, first_digits="0123456789"),
    _Block("NZ", "6493", 6, 3, first_digits="0123456789"),
    _Block("NZ", "6443", 6, 1),
    # Latin America
    _Block("BR", "55119", 8, 3, first_digits="6789"),
    _Block("BR", "55219", 8, 2, first_digits="6789"),
    _Block("MX", "5255", 8, 2),
    _Block("AR", "5411", 8, 1, first_digits="2345"),
    _Block("CL", "5622", 7, 1),
)

_FIRST = (
    "Ava", "Liam", "Noah", "Emma", "Olivia", "Mateo", "Sofia", "Hiro", "Yuki", "Aarav", "Priya", "Chloe", "Lucas",
    "Amara", "Kai", "Mia", "Ethan", "Zoe", "Léa", "José", "Søren", "Chidi", "Aroha", "Tane", "Mei", "Ravi",
    "Isabela", "Grace", "Oliver", "Fatima", "Omar", "Hannah", "Jack", "Ngaio", "Kenji", "Ana", "Marta", "Pablo",
)  # fmt: skip
_LAST = (
    "Smith", "Garcia", "Nguyen", "Kim", "Patel", "Müller", "Rossi", "Tanaka", "Silva", "O'Brien", "Walker",
    "Kowalski", "Haddad", "Dubois", "Ngata", "Singh", "Sato", "Fernández", "Brown", "Jensen", "Okafor", "Cohen",
    "Lopez", "Hughes", "Young", "Martin", "Costa", "Novak", "Ito", "Reddy", "Murphy", "Chen", "Park", "Ali",
)  # fmt: skip
_COMPANY_A = ("Blue", "North", "Bright", "Quiet", "Rapid", "Silver", "Green", "Prime", "Open", "True")
_COMPANY_B = ("Harbor", "Peak", "Field", "Bridge", "River", "Stone", "Cloud", "Forge", "Lane", "Works")
_COMPANY_C = ("Ltd", "Inc", "LLC", "GmbH", "Pty Ltd", "Co", "SA", "KK")
_PLANS = ("basic", "standard", "premium", "trial", "enterprise")
_NOTES = (
    "",
    "",
    "",
    "asked for a quote last spring",
    "prefers mornings",
    "existing customer, renewal due",
    "met at trade show",
    "referred by a colleague",
    'said "call me next quarter"',
    "interested in premium; budget approval pending",
)


def _number(rng: random.Random, block: _Block) -> str:
    digits = rng.choice(block.first_digits) + "".join(rng.choices("0123456789", k=block.free - 1))
    return "+" + block.prefix + digits


def _display(e164: str, rng: random.Random) -> str:
    """Numbers as people type them: mostly E.164, some with spaces or dashes."""
    style = rng.random()
    if style < 0.7:
        return e164
    if style < 0.85:
        return f"{e164[:3]} {e164[3:6]} {e164[6:]}"
    return f"{e164[:-8]} {e164[-8:-4]}-{e164[-4:]}"


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").replace("'", "")


def sample_rows(rows: int, *, seed: int = 1, bad_rows: bool = True) -> Iterator[list[str]]:
    """Yield ``rows`` data rows (no header) in SAMPLE_HEADER order, deterministically for a seed."""
    rng = random.Random(seed)
    weights = [b.weight for b in _BLOCKS]
    issued: list[str] = []
    for i in range(1, rows + 1):
        block = rng.choices(_BLOCKS, weights)[0]
        phone_e164 = _number(rng, block)
        phone = _display(phone_e164, rng)
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        notes = rng.choice(_NOTES)
        mobile = _number(rng, block) if rng.random() < 0.2 else ""
        postal = rng.choice(block.zip_codes) if block.zip_codes and rng.random() < 0.5 else ""
        if bad_rows and i % 80 == 0:
            kind = (i // 80) % 6
            if kind == 0:
                phone = "+1 212 055 0100"  # exchange starting with 0: not a valid NANP number
            elif kind == 1:
                phone = ""
            elif kind == 2 and issued:
                phone = issued[rng.randrange(len(issued))]  # duplicate of an earlier row
            elif kind == 3:
                phone = "call reception"
            elif kind == 4:
                phone = "+44 20 12"  # too short
            else:
                notes = '=HYPERLINK("http://example.invalid","click")'  # formula-looking: flagged, kept
        elif i % 97 == 0:
            notes = "line one\nline two"  # quoted embedded newline
        if len(issued) < 5000:
            issued.append(phone_e164)
        yield [
            f"L{seed:02d}-{i:07d}",
            first,
            last,
            phone,
            mobile,
            _ascii(f"{first}.{last}{i}@example.com".lower()),
            postal,
            str(rng.choice((0, 0, 0, 1, 2, 5))),
            f"{rng.choice(_COMPANY_A)} {rng.choice(_COMPANY_B)} {rng.choice(_COMPANY_C)}",
            rng.choice(_PLANS),
            notes,
        ]


def write_sample_csv(target: str | Path | TextIO, rows: int, *, seed: int = 1, bad_rows: bool = True) -> int:
    """Write a header and ``rows`` rows as UTF-8 CSV to a path or a text stream; returns the rows written."""
    if isinstance(target, str | Path):
        with open(target, "w", encoding="utf-8", newline="") as fh:
            return write_sample_csv(fh, rows, seed=seed, bad_rows=bad_rows)
    writer = csv.writer(target, lineterminator="\n")
    writer.writerow(SAMPLE_HEADER)
    batch: list[list[str]] = []
    n = 0
    for row in sample_rows(rows, seed=seed, bad_rows=bad_rows):
        batch.append(row)
        if len(batch) >= 10_000:
            writer.writerows(batch)
            n += len(batch)
            batch.clear()
    writer.writerows(batch)
    return n + len(batch)


if __name__ == "__main__":  # pragma: no cover - maintenance entry point
    out = sys.argv[1] if len(sys.argv) > 1 else "-"
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    written = write_sample_csv(sys.stdout if out == "-" else out, count)
    print(f"wrote {written} rows to {out}", file=sys.stderr)
