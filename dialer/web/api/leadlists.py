"""Lead lists: CSV upload (streamed to disk, previewed, parsed in the CPU worker, imported all or nothing), lists
and their error reports."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import pickle
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import BodyPartReader, web
from pydantic import Field

from dialer.appkeys import SETTINGS
from dialer.campaign.config import CampaignConfig
from dialer.campaign.leadimport import LeadCsvReader, LeadFileError, RowError, write_error_report
from dialer.campaign.leadimport.prepared import PreparedLeads, prepared_chunks
from dialer.i18n import DEFAULT_LOCALE, M_, Message, current_locale, message_of, use_locale
from dialer.i18n.library import csv_error_text, multipart_error_text
from dialer.parsing import DocumentError, load_json
from dialer.private_files import make_private_dir, private_file_opener
from dialer.store.campaigns import CampaignRecord
from dialer.store.console import get_lead_list, list_lead_lists
from dialer.store.imports import CHUNK, ImportSummary, import_prepared
from dialer.web.api.common import (
    Paging,
    campaign_id_of,
    configured_campaign_or_404,
    import_summary_json,
    lead_list_json,
    ok,
    page_from,
)
from dialer.web.cpu import CPU_WORKER
from dialer.web.problems import Problem
from dialer.web.routing import MANAGERS, Call, RouteTable

routes = RouteTable(tag="leads")
# The encodings the browser import offers when the manager overrides the detected one.
ENCODING_CHOICES = ("utf-8", "utf-8-sig", "utf-16", "cp932", "gb18030", "euc_jp", "cp1252")
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
# Form fields next to the file in an upload (mapping, list name).
UPLOAD_FIELD_MAX_BYTES = 64 * 1024


UPLOAD_BODY = {
    "multipart/form-data": {
        "schema": {
            "type": "object",
            "required": ["file"],
            "properties": {
                "file": {"type": "string", "format": "binary", "description": "CSV (any common encoding/delimiter)"},
                "mapping": {"type": "string", "description": 'JSON object column → field, e.g. {"Tel": "phone"}'},
                "list_name": {"type": "string"},
                "encoding": {"type": "string", "description": "the file's encoding (default: detected), e.g. cp932"},
            },
        }
    }
}


@dataclass
class UploadForm:
    """An uploaded CSV, streamed to a temporary file (never held in memory), and the form fields next to it."""

    path: Path
    filename: str = "upload.csv"
    mapping: dict[str, str] = field(default_factory=dict)
    list_name: str | None = None
    encoding: str | None = None  # None: detected


@asynccontextmanager
async def upload_form(call: Call) -> AsyncIterator[UploadForm]:
    """Read the multipart upload: the file goes to disk in chunks (at most MAX_UPLOAD_BYTES), then is removed."""
    if not call.request.content_type.startswith("multipart/"):
        raise Problem(415, M_("upload the CSV as multipart/form-data (field 'file')"))
    directory = call.app[SETTINGS].var_dir / "imports"
    await asyncio.to_thread(make_private_dir, directory)  # uploads, spools, error reports: owner-only
    handle, name = await asyncio.to_thread(tempfile.mkstemp, ".csv", "upload-", directory)
    os.close(handle)
    form = UploadForm(Path(name))
    try:
        got_file = await _read_form(call, form)
        if not got_file:
            raise Problem(422, M_("no file: send the CSV in the form field 'file'"), kind="validation-error")
        yield form
    finally:
        await asyncio.to_thread(form.path.unlink, True)


async def _read_form(call: Call, form: UploadForm) -> bool:
    got_file = False
    try:
        reader = await call.request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                raise Problem(400, M_("cannot read the upload: nested multipart parts are not accepted"))
            if part.name == "file":
                form.filename = Path(part.filename or form.filename).name
                await _stream_to(part, form.path)
                got_file = True
            elif part.name == "mapping":
                form.mapping = _mapping(await _field_text(part))
            elif part.name == "encoding":
                form.encoding = (await _field_text(part)).strip()[:40] or None
            elif part.name == "list_name":
                form.list_name = (await _field_text(part)).strip()[:200] or None
    except (ValueError, LookupError, AssertionError, RuntimeError) as exc:  # a malformed multipart body
        said = M_("cannot read the upload: {exc}", exc=multipart_error_text(exc))
        raise Problem(400, said, detail_en=str(exc)) from None
    return got_file


async def _stream_to(part: BodyPartReader, path: Path) -> None:
    size = 0
    with path.open("wb") as out:
        while chunk := await part.read_chunk(256 * 1024):
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                raise Problem(413, M_("the file is larger than 200 MB: import it with `dialer leads import`"))
            out.write(chunk)


async def _field_text(part: BodyPartReader) -> str:
    size = 0
    chunks: list[bytes] = []
    while chunk := await part.read_chunk(8192):
        size += len(chunk)
        if size > UPLOAD_FIELD_MAX_BYTES:
            raise Problem(
                413,
                M_(
                    "the form field {name} is larger than {limit} bytes",
                    name=repr(part.name),
                    limit=UPLOAD_FIELD_MAX_BYTES,
                ),
            )
        chunks.append(chunk)
    try:
        return b"".join(chunks).decode(part.get_charset(default="utf-8"))
    except (UnicodeDecodeError, LookupError):
        raise Problem(400, M_("the form field {name} is not UTF-8 text", name=repr(part.name))) from None


def _mapping(text: str) -> dict[str, str]:
    if not text.strip():
        return {}
    try:
        parsed = load_json(text, "mapping")
    except DocumentError as exc:
        raise Problem(400, M_("cannot read the upload: {exc}", exc=exc), detail_en=exc.technical) from None
    if not isinstance(parsed, dict) or not all(isinstance(v, str) for v in parsed.values()):
        raise Problem(422, M_("mapping must be a JSON object of column → field"), kind="validation-error")
    return {str(k): v for k, v in parsed.items()}


@routes.route("POST", "/api/campaigns/{name}/lead-lists/preview", roles=MANAGERS, body_content=UPLOAD_BODY)
async def preview_lead_list(call: Call) -> web.Response:
    """Preview a CSV: detected encoding, delimiter, column mapping and the first rows"""
    _record, config = await configured_campaign_or_404(call, call.path("name"))
    async with upload_form(call) as form:
        return await asyncio.to_thread(_preview, form, config.default_region)


def _preview(form: UploadForm, region: str | None) -> web.Response:
    try:
        with LeadCsvReader(
            form.path, default_region=region, mapping=form.mapping, encoding=form.encoding, name=form.filename
        ) as reader:
            rows: list[dict[str, Any]] = []
            errors: list[dict[str, Any]] = []
            for item in reader:
                if isinstance(item, RowError):
                    errors.append({"row": item.row, "reason": item.reason.value, "detail": item.detail})
                else:
                    rows.append(
                        {
                            "row": item.row,
                            "phone": item.phone,
                            "first_name": item.first_name,
                            "last_name": item.last_name,
                            "display_name": item.display_name,
                            "fields": item.fields,
                        }
                    )
                if len(rows) + len(errors) >= 10:
                    break
            columns = [{"column": h, "field": reader.field_map.get(i, "skip")} for i, h in enumerate(reader.header)]
            return ok(
                {
                    "file": form.filename,
                    "encoding": reader.encoding,
                    "encoding_detected": form.encoding is None,
                    "encodings": list(ENCODING_CHOICES),
                    "delimiter": reader.delimiter,
                    "columns": columns,
                    "sample": rows,
                    "sample_errors": errors,
                }
            )
    except LeadFileError as exc:
        raise Problem(422, message_of(exc), kind="bad-lead-file", encodings=list(ENCODING_CHOICES)) from None
    except csv.Error as exc:  # the reader could not make sense of the bytes (binary data, broken quoting)
        raise Problem(
            422, M_("not a readable CSV file: {exc}", exc=csv_error_text(exc)), kind="bad-lead-file"
        ) from None


@dataclass(frozen=True, slots=True)
class ParsedUpload:
    """An uploaded file parsed into a spool file of prepared chunks (plain data: it crosses from the worker)."""

    header: list[str]
    chunks: int


@dataclass(frozen=True, slots=True)
class UploadRefused:
    detail: str | Message


def parse_upload(
    path: str,
    spool: str,
    region: str | None,
    mapping: dict[str, str],
    encoding: str | None,
    locale: str = DEFAULT_LOCALE,
    name: str | None = None,
) -> ParsedUpload | UploadRefused:
    """Read the whole uploaded CSV and write its rows, prepared in chunks of CHUNK (see
    dialer.campaign.leadimport.prepared), to ``spool``. Runs in the CPU worker (dialer.web.cpu): decoding,
    CSV parsing and phone-number validation of a large file never run on the event loop that paces calls, and
    the spool on disk keeps memory bounded whatever the file's size. A file refused half-way (bad encoding at
    row 600 000) is refused before anything is imported. Row errors and the refusal are written in ``locale`` (the
    request's language does not cross to the worker process by itself), naming the file ``name`` (the uploaded file's
    own name; default: ``path``)."""
    with use_locale(locale):
        return _parse_upload(path, spool, region, mapping, encoding, name)


def _parse_upload(
    path: str, spool: str, region: str | None, mapping: dict[str, str], encoding: str | None, name: str | None
) -> ParsedUpload | UploadRefused:
    try:
        with (
            LeadCsvReader(path, default_region=region, mapping=mapping, encoding=encoding, name=name) as reader,
            open(spool, "wb", opener=private_file_opener) as out,
        ):
            count = 0
            for chunk in prepared_chunks(reader, CHUNK, seal=True):
                pickle.dump(chunk, out, protocol=pickle.HIGHEST_PROTOCOL)
                count += 1
            return ParsedUpload(list(reader.header), count)
    except LeadFileError as exc:
        return UploadRefused(message_of(exc))
    except csv.Error as exc:  # the reader could not make sense of the bytes (binary data, broken quoting)
        return UploadRefused(M_("not a readable CSV file: {exc}", exc=csv_error_text(exc)))


async def _spooled(spool: Path, count: int) -> AsyncIterator[PreparedLeads]:
    """The prepared chunks back from the spool, each read in a thread."""
    with await asyncio.to_thread(spool.open, "rb") as f:
        for _ in range(count):
            chunk: PreparedLeads = await asyncio.to_thread(pickle.load, f)
            yield chunk


async def _import_upload(
    call: Call, record: CampaignRecord, config: CampaignConfig, form: UploadForm, errors: list[RowError]
) -> tuple[ImportSummary, list[str], Path]:
    spool = form.path.with_suffix(".spool")
    try:
        size = (await asyncio.to_thread(form.path.stat)).st_size
        parsed = await call.app[CPU_WORKER].run(
            size,
            parse_upload,
            str(form.path),
            str(spool),
            config.default_region,
            form.mapping,
            form.encoding,
            current_locale(),
            form.filename,
        )
        if isinstance(parsed, UploadRefused):
            raise Problem(422, parsed.detail, kind="bad-lead-file")
        directory = call.app[SETTINGS].var_dir / "imports"
        stamp = call.now().strftime("%Y%m%dT%H%M%S%f")
        errors_path = directory / f"{record.name}-{stamp}-errors.csv"
        summary = await import_prepared(
            call.db,
            campaign_id=record.id,
            chunks=_spooled(spool, parsed.chunks),
            list_name=form.list_name or form.filename,
            source_file=f"upload:{form.filename}",
            now=call.now(),
            errors_file=str(errors_path),
            on_error=errors.append,
        )
        return summary, parsed.header, errors_path
    finally:
        await asyncio.to_thread(spool.unlink, True)


def _write_report(path: Path, errors: list[RowError], header: list[str]) -> None:
    report_text = io.StringIO()
    write_error_report(report_text, errors, header)
    with open(path, "w", encoding="utf-8-sig", newline="", opener=private_file_opener) as out:  # BOM: Excel reads CJK
        out.write(report_text.getvalue())


@routes.route(
    "POST", "/api/campaigns/{name}/lead-lists", roles=MANAGERS, status=201, errors=(413,), body_content=UPLOAD_BODY
)
async def upload_lead_list(call: Call) -> web.Response:
    """Import a CSV into the campaign (all or nothing); returns the report. The file is parsed in the CPU worker
    process, never on the event loop"""
    record, config = await configured_campaign_or_404(call, call.path("name"))
    errors: list[RowError] = []
    async with upload_form(call) as form:
        summary, header, errors_path = await _import_upload(call, record, config, form, errors)
    await asyncio.to_thread(_write_report, errors_path, errors, header)
    report = {
        **import_summary_json(summary, record.name),
        "errors": [{"row": e.row, "line": e.line, "reason": e.reason.value, "detail": e.detail} for e in errors[:100]],
        "errors_url": f"/api/lead-lists/{summary.list_id}/errors",
    }
    call.daemon.leads_added(record.name)
    return ok(report, 201)


class LeadListQuery(Paging):
    campaign: str | None = Field(default=None, max_length=100)


@routes.listing("/api/lead-lists", roles=MANAGERS, query=LeadListQuery)
async def get_lead_lists(call: Call) -> web.Response:
    """Imported lead lists with their counts"""
    q = call.query_as(LeadListQuery)
    found = await list_lead_lists(call.db, await campaign_id_of(call, q.campaign), q.limit, q.offset)
    return page_from(q, found, lead_list_json)


@routes.route(
    "GET",
    r"/api/lead-lists/{list_id:\d{1,15}}/errors",
    roles=MANAGERS,
    response={"type": "string"},
    response_content_type="text/csv",
)
async def get_lead_list_errors(call: Call) -> web.StreamResponse:
    """The rejected rows of an import, as CSV"""
    rec = await get_lead_list(call.db, call.path_id("list_id"))
    if rec is None or not rec.errors_file or not await asyncio.to_thread(Path(rec.errors_file).is_file):
        raise Problem(404, M_("no error report for this list"))
    return web.FileResponse(
        rec.errors_file,
        headers={
            "Content-Type": "text/csv",
            "Content-Disposition": f'attachment; filename="list-{rec.id}-errors.csv"',
        },
    )
