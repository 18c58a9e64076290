"""The CSV renderer: formula-safe CSV (RFC 4180 line ends) for every report; the summaries in long format
(section, item, metric, value: one table, easy to pivot), the call records one row per call."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Literal, Protocol, TextIO, get_args

from dialer.campaign.leadimport import neutralise_formula
from dialer.i18n import M_, N_, _
from dialer.reports.activity import AgentActivityReport, PauseFigures, time_json
from dialer.reports.compliance import AbandonWindow, ComplianceReport
from dialer.reports.inbound import InboundReport
from dialer.reports.ivr import IvrReport
from dialer.reports.performance import PerformanceReport
from dialer.reports.render.tables import STAFFING_COLUMNS
from dialer.reports.staffing import StaffingForecast

Cell = str | int | float | bool | None
LONG_HEADER = (N_("section"), N_("item"), N_("metric"), N_("value"))
# The encodings a CSV download may be asked in: UTF-8 with a BOM (Excel opens it as UTF-8: the default), plain
# UTF-8, or CP932 (Shift_JIS, for Japanese Excel and older systems).
CsvEncoding = Literal["utf-8-sig", "utf-8", "cp932"]
CSV_ENCODINGS: tuple[CsvEncoding, ...] = get_args(CsvEncoding)


class CsvEncodingError(ValueError):
    """The CSV holds a character the asked encoding cannot hold (nothing is replaced: nothing is lost)."""


def encode_csv(text: str, encoding: str) -> bytes:
    """The CSV text as bytes in ``encoding`` (one of CSV_ENCODINGS); a character the encoding lacks is refused
    with its line, never replaced."""
    try:
        return text.encode(encoding)
    except UnicodeEncodeError as exc:
        line = text.count("\n", 0, exc.start) + 1
        raise CsvEncodingError(
            M_(
                "line {line} has {text}, which {encoding} cannot hold: ask for utf-8-sig (UTF-8 with BOM, which Excel "
                "reads) instead",
                line=line,
                text=repr(exc.object[exc.start : exc.end]),
                encoding=encoding,
            )
        ) from None


class ByteSink(Protocol):
    """Where an export's bytes go: a file, a spooled temporary file, standard output's buffer."""

    def write(self, data: bytes, /) -> object: ...


class EncodedStream:
    """A text stream writing each piece to ``out`` in ``encoding`` as it comes (the csv writer writes a row at a
    time), counting the lines written: a character the encoding lacks is refused with the line of the file it is on
    (:class:`CsvEncodingError`; nothing is replaced)."""

    def __init__(self, out: ByteSink, encoding: str) -> None:
        self.out, self.encoding, self.lines = out, encoding, 0

    def write(self, text: str) -> int:
        try:
            data = encode_csv(text, self.encoding)
        except CsvEncodingError:
            encode_csv("\n" * self.lines + text, self.encoding)  # raises again, with the line in the whole file
            raise
        self.out.write(data)
        if self.encoding == "utf-8-sig":
            self.encoding = "utf-8"  # the BOM once, at the start
        self.lines += text.count("\n")
        return len(text)


def safe_cell(value: Cell | datetime) -> str | int | float:
    """A CSV cell a spreadsheet will not execute: text starting with = + - @ tab or CR is quoted with a leading
    apostrophe (OWASP CSV injection); numbers stay numbers, None is empty, datetimes are ISO 8601."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            return ""
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    return neutralise_formula(value)


def write_csv(stream: TextIO, header: Sequence[str], rows: Iterable[Sequence[Cell | datetime]]) -> int:
    """Formula-safe CSV (RFC 4180 line ends), the header in the current language. Returns the data rows."""
    csv.writer(stream, lineterminator="\r\n").writerow([safe_cell(_(h)) for h in header])
    return write_rows(stream, rows)


def write_rows(stream: TextIO, rows: Iterable[Sequence[Cell | datetime]]) -> int:
    """More formula-safe data rows (after a header written by :func:`write_csv`)."""
    writer = csv.writer(stream, lineterminator="\r\n")
    n = 0
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
        n += 1
    return n


def compliance_rows(report: ComplianceReport) -> list[list[Any]]:
    """Long format: section, item, metric, value (one table, easy to pivot)."""
    rows: list[list[Any]] = [
        ["report", report.campaign, "regime", report.regime],
        ["report", report.campaign, "attempts", report.attempts],
        ["report", report.campaign, "passed", report.passed],
    ]

    def window_rows(name: str, w: AbandonWindow | None) -> None:
        if w is None:
            return
        for key, value in w.as_json().items():
            rows.append(["abandon_rate", name, key, value])

    a = report.abandon
    window_rows("overall", a.overall)
    window_rows("worst_regime_window", a.worst_regime_window)
    window_rows("current_regime_window", a.current_regime_window)
    window_rows("worst_24h", a.worst_24h)
    window_rows("current_24h", a.current_24h)
    for i, p in enumerate(a.periods_30d, 1):
        window_rows(f"period_30d_{i}", p)
    for c in report.checks:
        rows.append(["check", c.name, "required", c.required])
        rows.append(["check", c.name, "checked", c.checked])
        rows.append(["check", c.name, "violations", c.violations])
        rows.append(["check", c.name, "passed", c.passed])
        for k, v in c.figures.items():
            rows.append(["check", c.name, k, v if isinstance(v, int | float | str | bool) or v is None else str(v)])
        for o in c.examples:
            rows.append(
                ["offence", c.name, f"attempt {o.attempt_id}", f"{o.phone} {o.started_at.isoformat()} {o.detail}"]
            )
    return rows


def compliance_csv(report: ComplianceReport, stream: TextIO) -> int:
    return write_csv(stream, LONG_HEADER, compliance_rows(report))


def performance_rows(r: PerformanceReport) -> list[list[Any]]:
    """Long format: section, item, metric, value."""
    rows: list[list[Any]] = []
    for key, value in r.as_json().items():
        if isinstance(value, int | float | str | bool) or value is None:
            rows.append(["summary", r.campaign, key, value])
    for key, value in r.as_json()["first_contact_resolution"].items():
        rows.append(["fcr", r.campaign, key, value])
    for key, value in r.callbacks.as_json().items():
        rows.append(["callbacks", r.campaign, key, value])
    for a in r.agents:
        for key, value in a.as_json().items():
            if key not in ("agent", "dispositions"):
                rows.append(["agent", a.agent, key, value])
        for code, n in a.dispositions.items():
            rows.append(["agent_disposition", a.agent, code, n])
    for team in r.teams or ():
        for key, value in team.as_json().items():
            if key != "team":
                rows.append(["team", team.team or "", key, value])
    for t in r.transfers.agents:
        for key, value in t.as_json().items():
            if key != "agent":
                rows.append(["transfer_agent", t.agent, key, value])
    for c in r.transfers.closers:
        for key, value in c.as_json().items():
            if key != "closer":
                rows.append(["closer", c.closer, key, value])
    for d in r.dispositions:
        rows.append(["disposition", d.code, "count", d.count])
        rows.append(["disposition", d.code, "share", d.share])
    for h in r.hours:
        rows.append(["hour", f"{h.hour:02d}", "attempts", h.attempts])
        rows.append(["hour", f"{h.hour:02d}", "live_answers", h.live_answers])
        rows.append(["hour", f"{h.hour:02d}", "contact_rate", h.contact_rate])
    for lst in (*r.lists, r.leads_total):
        for key, value in lst.as_json().items():
            if key not in ("name", "by_status"):
                rows.append(["list", lst.name, key, value])
        for status, n in lst.by_status.items():
            rows.append(["list_status", lst.name, status, n])
    for k, v in r.attempts_per_lead.items():
        rows.append(["attempts_per_lead", str(k), "leads", v])
    for note in r.notes:
        rows.append(["note", r.campaign, "note", note])
    return rows


def performance_csv(r: PerformanceReport, stream: TextIO) -> int:
    return write_csv(stream, LONG_HEADER, performance_rows(r))


def ivr_rows(r: IvrReport) -> list[list[Any]]:
    """Long format: section (flow / node), item, metric, value."""
    rows: list[list[Any]] = []
    for f in r.flows:
        for metric in (
            "calls",
            "people",
            "contained",
            "containment_rate",
            "transferred",
            "abandoned_in_queue",
            "opted_out",
            "machine_messages",
            "listened_to_end",
            "mean_seconds",
            "repeat_callers",
            "first_contact_resolution",
        ):
            rows.append(["flow", f.flow, metric, getattr(f, metric)])
        for result, n in f.results.items():
            rows.append(["flow", f.flow, f"result:{result}", n])
        for node in f.nodes:
            item = f"{f.flow}/{node.node}"
            rows.append(["node", item, "entries", node.entries])
            rows.append(["node", item, "drop_offs", node.drop_offs])
            rows.append(["node", item, "mean_seconds", node.mean_seconds])
            for exit_, n in node.exits.items():
                rows.append(["node", item, f"exit:{exit_}", n])
    return rows


def ivr_csv(r: IvrReport, stream: TextIO) -> int:
    return write_csv(stream, LONG_HEADER, ivr_rows(r))


INBOUND_METRICS = (
    "offered",
    "answered",
    "answered_within",
    "service_level",
    "abandoned",
    "short_abandoned",
    "timed_out",
    "refused",
    "abandon_rate",
    "average_speed_of_answer",
    "longest_wait_seconds",
    "mean_talk_seconds",
)


def inbound_rows(r: InboundReport) -> list[list[Any]]:
    """Long format: section (queue / hour / agent), item, metric, value; an hour's item is queue@start (ISO)."""
    rows: list[list[Any]] = []
    for q in r.queues:
        for metric in INBOUND_METRICS:
            rows.append(["queue", q.total.queue, metric, getattr(q.total, metric)])
        for h in q.hours:
            item = f"{q.total.queue}@{h.start.isoformat()}"
            for metric in INBOUND_METRICS:
                rows.append(["hour", item, metric, getattr(h.figures, metric)])
        for a in q.agents:
            item = f"{q.total.queue}/{a.agent}"
            rows.append(["agent", item, "answered", a.answered])
            rows.append(["agent", item, "mean_talk_seconds", a.mean_talk_seconds])
    return rows


def inbound_csv(r: InboundReport, stream: TextIO) -> int:
    return write_csv(stream, LONG_HEADER, inbound_rows(r))


ACTIVITY_METRICS = (
    "logged_in_seconds",
    "ready_seconds",
    "talk_seconds",
    "wrapup_seconds",
    "pause_seconds",
    "occupancy",
)
PAUSE_METRICS = ("count", "seconds", "longest_seconds", "limit_seconds", "over_limit")


def agents_rows(r: AgentActivityReport) -> list[list[Any]]:
    """Long format: section (agent-day / agent / team / total, each with its pauses: ...-pause), item, metric, value;
    an agent's day is agent@YYYY-MM-DD, a pause's item is who/reason; times are ISO 8601."""
    rows: list[list[Any]] = []

    def time(section: str, item: str, figures: dict[str, Any]) -> None:
        rows.extend([section, item, metric, figures[metric]] for metric in ACTIVITY_METRICS)

    def pauses(section: str, who: str, figures: Sequence[PauseFigures]) -> None:
        for p in figures:
            doc = p.as_json()
            item = f"{who}/{p.reason or ''}"
            rows.append([section, item, "kind", p.kind])
            rows.extend([section, item, metric, doc[metric]] for metric in PAUSE_METRICS)

    for a in r.agents:
        for d in a.days:
            item = f"{a.agent}@{d.day.isoformat()}"
            rows.append(["agent-day", item, "first_sign_in", d.first_in])
            rows.append(["agent-day", item, "signed_in_before", d.in_before])
            rows.append(["agent-day", item, "last_sign_out", d.last_out])
            time("agent-day", item, time_json(d.time))
        time("agent", a.agent, time_json(a.time))
        pauses("agent-pause", a.agent, a.pauses)
    for t in r.teams or ():
        team = t.team or ""
        rows.append(["team", team, "agents", t.agents])
        time("team", team, time_json(t.time))
        pauses("team-pause", team, t.pauses)
    rows.append(["total", "", "agents", r.total.agents])
    time("total", "", time_json(r.total.time))
    pauses("total-pause", "", r.total.pauses)
    return rows


def agents_csv(r: AgentActivityReport, stream: TextIO) -> int:
    return write_csv(stream, LONG_HEADER, agents_rows(r))


def staffing_csv(r: StaffingForecast, stream: TextIO) -> int:
    """One row per half-hour that happens (STAFFING_COLUMNS); shares as fractions, empty where not known."""
    keys = (
        "day",
        "interval",
        "forecast_offered",
        "handle_seconds",
        "erlangs",
        "agents_required",
        "agents_to_schedule",
        "expected_service_level",
        "expected_occupancy",
        "expected_abandon_rate",
        "agents_required_erlang_c",
        "agents_required_erlang_a",
        "actual_offered",
        "actual_logged_in",
    )
    rows = ([*(i.as_json()[k] for k in keys), r.holiday(i.day) or ""] for i in r.intervals if i.seconds)
    return write_csv(stream, STAFFING_COLUMNS, rows)
