"""Call recordings: search, the call's recording, its audio (range requests, for the page's audio player and
downloads), and the agent's recording controls during a call.

Managers see every recording; a supervisor those of their teams' campaigns and agents (dialer.store.leadscope); an
agent only the recordings of calls they took. Another's is a 403, whatever the route.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any, Literal

from aiohttp import web
from pydantic import Field, model_validator

from dialer.i18n import M_
from dialer.recording.service import local_path
from dialer.store.evaluations import EvaluationRecord, latest_evaluations
from dialer.store.leadscope import lead_scope
from dialer.store.monitoring import RecordingFilter, RecordingListing, RecordingRecord, get_recording, search_recordings
from dialer.web.api.common import Paging, Strict, campaign_id_of, ok, out_of_scope, page_from, path_agent, refused
from dialer.web.facade import RecordingRefused
from dialer.web.problems import Problem
from dialer.web.routing import ANY_USER, Call, RouteTable

routes = RouteTable(tag="recordings")

RECORDING_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["attempt_id", "state", "audio_url"],
    "properties": {
        "attempt_id": {"type": "integer"},
        "campaign": {"type": "string"},
        "agent": {"type": ["string", "null"]},
        "phone": {"type": "string"},
        "disposition": {"type": ["string", "null"]},
        "state": {"type": "string"},
        "started_at": {"type": "string", "format": "date-time"},
        "ended_at": {"type": ["string", "null"], "format": "date-time"},
        "consent_at": {
            "type": ["string", "null"],
            "format": "date-time",
            "description": "when the consent announcement played to the called party (null: none played)",
        },
        "consent_status": {"type": ["string", "null"], "description": "its Playback status: SUCCESS, FAILED"},
        "audio_url": {"type": "string"},
        "download_url": {"type": "string"},
        "call_url": {"type": "string"},
        "evaluation": {
            "type": ["object", "null"],
            "description": "in a search: the call's latest quality evaluation (score, critical_failed, evaluator)",
        },
    },
}


class RecordingSearch(Paging):
    campaign: str | None = Field(default=None, max_length=100)
    agent: str | None = Field(default=None, max_length=100)
    date_from: date | None = Field(default=None, description="first day (UTC), inclusive")
    date_to: date | None = Field(default=None, description="last day (UTC), inclusive")
    disposition: str | None = Field(default=None, max_length=40)
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9]{1,20}$", description="digits of the number")

    @model_validator(mode="after")
    def _days_in_order(self) -> RecordingSearch:
        # A range that ends before it starts finds nothing: refused, not answered "0 recordings"
        if self.date_from is not None and self.date_to is not None and self.date_to < self.date_from:
            raise ValueError(
                M_(
                    "the range ends ({end}) before it starts ({start})",  # the reports' sentence
                    end=self.date_to.isoformat(),
                    start=self.date_from.isoformat(),
                )
            )
        return self


class AudioQuery(Strict):
    download: bool = Field(default=False, description="as an attachment (Save as) instead of inline")


class RecordingControl(Strict):
    action: Literal["start", "stop", "pause", "resume"] = Field(
        description="start/stop: on-demand campaigns; pause/resume: any recorded call (e.g. while a card number "
        "is read out: silence is recorded meanwhile)"
    )


def recording_json(rec: RecordingRecord, listing: RecordingListing | None = None) -> dict[str, Any]:
    base = f"/api/recordings/{rec.attempt_id}"
    body: dict[str, Any] = {
        "attempt_id": rec.attempt_id,
        "campaign_id": rec.campaign_id,
        "agent": rec.agent,
        "mode": rec.mode,
        "state": rec.state,
        "started_at": rec.started_at,
        "ended_at": rec.ended_at,
        "duration_seconds": (rec.ended_at - rec.started_at).total_seconds() if rec.ended_at else None,
        "consent_at": rec.consent_at,
        "consent_status": rec.consent_status,
        "audio_url": f"{base}/audio",
        "download_url": f"{base}/audio?download=true",
        "call_url": base,
    }
    if listing is not None:
        body.update(
            campaign=listing.campaign, phone=listing.phone, disposition=listing.disposition, outcome=listing.outcome
        )
    return body


async def _may_hear(call: Call, rec: RecordingRecord) -> None:
    if (await lead_scope(call.db, call.user)).sees_call(rec.campaign_id, rec.agent):
        return
    raise out_of_scope(
        call,
        supervisor=M_("a supervisor may only hear the recordings of their teams' campaigns and agents"),
        agent=M_("an agent may only hear the recordings of their own calls"),
    )


async def _recording_or_404(call: Call) -> RecordingRecord:
    rec = await get_recording(call.db, call.path_id("attempt_id"))
    if rec is None:
        raise Problem(404, M_("no recording of call {attempt_id}", attempt_id=call.path("attempt_id")))
    await _may_hear(call, rec)
    return rec


@routes.listing("/api/recordings", roles=ANY_USER, query=RecordingSearch, item=RECORDING_SCHEMA)
async def list_recordings(call: Call) -> web.Response:
    """Search recordings by campaign, agent, date, disposition, number (supervisors: their teams'; agents: their own
    calls)"""
    q = call.query_as(RecordingSearch)
    scope = await lead_scope(call.db, call.user)
    if q.agent is not None and not scope.everything and q.agent not in scope.agents:
        raise out_of_scope(
            call,
            supervisor=M_("a supervisor may only search the recordings of their teams' agents"),
            agent=M_("an agent may only search the recordings of their own calls"),
        )
    where = RecordingFilter(
        campaign_id=await campaign_id_of(call, q.campaign),
        agent=q.agent,
        scope=scope,
        day_from=q.date_from,
        day_to=q.date_to,
        disposition=q.disposition,
        phone=q.phone.lstrip("+") if q.phone else None,
    )
    found = await search_recordings(call.db, where, q.limit, q.offset)
    evaluated = await latest_evaluations(call.db, [item.recording.attempt_id for item in found[1]])
    return page_from(
        q,
        found,
        lambda item: {
            **recording_json(item.recording, item),
            "evaluation": _evaluation_summary(evaluated.get(item.recording.attempt_id)),
        },
    )


def _evaluation_summary(e: EvaluationRecord | None) -> dict[str, Any] | None:
    if e is None:
        return None
    return {"score": e.score, "critical_failed": e.critical_failed, "evaluator": e.evaluator}


@routes.route(
    "GET", r"/api/recordings/{attempt_id:\d{1,15}}", roles=ANY_USER, response=RECORDING_SCHEMA, errors=(403, 404)
)
async def get_one_recording(call: Call) -> web.Response:
    """The recording of one call (its call record's link)"""
    return ok(recording_json(await _recording_or_404(call)))


@routes.route(
    "GET",
    r"/api/recordings/{attempt_id:\d{1,15}}/audio",
    roles=ANY_USER,
    query=AudioQuery,
    response={"type": "string", "format": "binary"},
    response_content_type="audio/wav",
    errors=(403, 404, 416),
)
async def get_recording_audio(call: Call) -> web.StreamResponse:
    """The recording's audio (WAV; Range requests for seeking)"""
    rec = await _recording_or_404(call)
    try:
        path = local_path(call.daemon.recording_settings, rec.file)
    except ValueError:
        raise Problem(404, M_("the recording's file name is not valid")) from None
    if not await asyncio.to_thread(path.is_file):
        raise Problem(404, M_("the recording of call {attempt_id} is not on disk (yet)", attempt_id=rec.attempt_id))
    disposition = "attachment" if call.query_as(AudioQuery).download else "inline"
    # aiohttp's FileResponse answers Range (206 + Content-Range) and If-Modified-Since itself.
    return web.FileResponse(
        path,
        headers={
            "Content-Type": "audio/wav",
            "Content-Disposition": f'{disposition}; filename="call-{rec.attempt_id}.wav"',
            "Cache-Control": "private, no-store",
        },
    )


@routes.route("POST", "/api/agents/{agent_id}/recording", roles=ANY_USER, body=RecordingControl, errors=(409,))
async def control_recording(call: Call) -> web.Response:
    """Start, stop, pause or resume the recording of my current call"""
    agent_id = path_agent(call)
    body = call.body_as(RecordingControl)
    with refused(RecordingRefused, status=409):
        current = await call.daemon.recording_control(agent_id, body.action)
    return ok({"attempt_id": current.attempt_id, "action": body.action})
