"""Parsed rows made ready to write: the valid leads column by column (JSON columns already serialised), the
rejected rows beside them.

This is the form in which parsed leads cross from the CPU worker process (dialer.web.cpu) to the event loop and
on to the database: a few lists of strings pickle and unpickle in a fraction of the time the same leads take as
objects, and the store hands the columns to the driver as they are (PostgreSQL: one ``INSERT ... SELECT FROM
unnest(...)`` per chunk; SQLite: one ``executemany``), so no per-lead Python work is left on the loop."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from json.encoder import encode_basestring_ascii

from dialer.campaign.leadimport.model import ImportedLead, LeadField, RowError


def _json_list(value: tuple[str, ...]) -> str:
    return "[" + ", ".join(map(_quote, value)) + "]" if value else "[]"


_quote: Callable[[str], str] = encode_basestring_ascii  # json.dumps(a str)'s own encoder, without its overhead


def _text(value: str | None) -> str:
    """``json.dumps(value)`` for a string or None, several times faster (seal runs it ~8 times per lead)."""
    return "null" if value is None else _quote(value)


@dataclass(slots=True)
class PreparedLeads:
    """Valid leads column-wise (index i of every list is one lead) and the rejected rows, in row order each."""

    rows: list[int] = field(default_factory=list)  # the lead's data row (from 1)
    phones: list[str] = field(default_factory=list)  # E.164
    alt_phones: list[str] = field(default_factory=list)  # JSON arrays
    tz_candidates: list[str] = field(default_factory=list)  # JSON arrays
    postal_codes: list[str | None] = field(default_factory=list)
    postal_zones: list[str] = field(default_factory=list)  # JSON arrays
    first_names: list[str | None] = field(default_factory=list)
    last_names: list[str | None] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)  # JSON objects (custom fields, external_id among them)
    priorities: list[int] = field(default_factory=list)
    display_names: list[str | None] = field(default_factory=list)
    name_readings: list[str | None] = field(default_factory=list)
    consent_sources: list[str | None] = field(default_factory=list)
    consent_at: list[datetime | None] = field(default_factory=list)
    alt_numbers: list[str] = field(default_factory=list)  # every alternative number of the chunk (DNC scrub)
    errors: list[RowError] = field(default_factory=list)
    read: int = 0  # rows read into this chunk (valid + rejected)
    # The valid leads once more as one JSON array of objects (see `seal`; None: not written yet): PostgreSQL
    # reads them with json_to_recordset, so the driver sends one text value instead of encoding thousands of
    # array elements. Written in the CPU worker for the web routes (``seal=True``), on demand otherwise.
    records: str | None = None

    def __len__(self) -> int:
        return len(self.phones)

    def take(self, item: ImportedLead | RowError) -> None:
        """One row read: a valid lead is added, a malformed row kept as an error."""
        self.read += 1
        if isinstance(item, RowError):
            self.errors.append(item)
        else:
            self.add(item)

    def add(self, lead: ImportedLead) -> None:
        fields = lead.fields
        # The recognised columns kept as fields (the screen pop, the script's {{ fields.email }}, an export): the
        # lead's own id in the caller's system, and its e-mail address.
        for key, value in ((LeadField.EXTERNAL_ID, lead.external_id), (LeadField.EMAIL, lead.email)):
            if value and key.value not in fields:
                fields = {**fields, key.value: value}
        self.rows.append(lead.row)
        self.phones.append(lead.phone)
        self.alt_phones.append(_json_list(lead.alt_phones))
        self.alt_numbers.extend(lead.alt_phones)
        self.tz_candidates.append(_json_list(lead.tz_candidates))
        self.postal_codes.append(lead.postal_code)
        self.postal_zones.append(_json_list(lead.postal_zones))
        self.first_names.append(lead.first_name)
        self.last_names.append(lead.last_name)
        self.fields.append(json.dumps(fields) if fields else "{}")
        self.priorities.append(lead.priority)
        self.display_names.append(lead.display_name or None)
        self.name_readings.append(lead.name_reading or None)
        self.consent_sources.append(lead.consent_source or None)
        self.consent_at.append(lead.consent_at)

    def seal(self) -> None:
        """Write `records` from the columns (the JSON columns are embedded as they are)."""
        dumps = _text
        parts = []
        for i in range(len(self.phones)):
            consent = self.consent_at[i]
            consent_text = None if consent is None else consent.isoformat()
            parts.append(
                f'{{"p":{dumps(self.phones[i])},"a":{self.alt_phones[i]},"t":{self.tz_candidates[i]},'
                f'"z":{dumps(self.postal_codes[i])},"zz":{self.postal_zones[i]},"f":{dumps(self.first_names[i])},'
                f'"l":{dumps(self.last_names[i])},"x":{self.fields[i]},"pr":{self.priorities[i]},'
                f'"d":{dumps(self.display_names[i])},"r":{dumps(self.name_readings[i])},'
                f'"cs":{dumps(self.consent_sources[i])},"ca":{dumps(consent_text)}}}'
            )
        self.records = "[" + ",".join(parts) + "]"

    def drop_alt_numbers(self, blocked: set[str]) -> None:
        """Remove ``blocked`` numbers from the leads' alternative numbers (the lead keeps its other numbers)."""
        if blocked.isdisjoint(self.alt_numbers):
            return
        for i, alt in enumerate(self.alt_phones):
            if alt != "[]":
                numbers = json.loads(alt)
                kept = [n for n in numbers if n not in blocked]
                if len(kept) != len(numbers):
                    self.alt_phones[i] = json.dumps(kept) if kept else "[]"
        self.alt_numbers = [n for n in self.alt_numbers if n not in blocked]

    def keep(self, indexes: list[int]) -> PreparedLeads:
        """The leads at ``indexes`` (the same rejected rows)."""
        out = PreparedLeads(errors=self.errors, read=self.read)
        for name in _COLUMNS:
            column = getattr(self, name)
            setattr(out, name, [column[i] for i in indexes])
        out.alt_numbers = [n for alt in out.alt_phones if alt != "[]" for n in json.loads(alt)]
        return out


_COLUMNS = (
    "rows", "phones", "alt_phones", "tz_candidates", "postal_codes", "postal_zones", "first_names", "last_names",
    "fields", "priorities", "display_names", "name_readings", "consent_sources", "consent_at",
)  # fmt: skip


def prepare(items: Iterable[ImportedLead | RowError], *, seal: bool = False) -> PreparedLeads:
    """All of ``items`` as one :class:`PreparedLeads` (``seal``: with its `records` written)."""
    out = PreparedLeads()
    for item in items:
        out.take(item)
    if seal:
        out.seal()
    return out


def prepared_chunks(
    items: Iterable[ImportedLead | RowError], size: int, *, seal: bool = False
) -> Iterator[PreparedLeads]:
    """``items`` in chunks of ``size`` rows read (the last one may be shorter; none when there are no rows);
    ``seal``: each with its `records` written."""
    out = PreparedLeads()
    for item in items:
        out.take(item)
        if out.read >= size:
            if seal:
                out.seal()
            yield out
            out = PreparedLeads()
    if out.read:
        if seal:
            out.seal()
        yield out
