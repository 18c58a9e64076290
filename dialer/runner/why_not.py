"""Why a campaign is not dialling, as sentences translated where they are shown (dialer.i18n.Message).

The runner knows no reader: it keeps a :class:`dialer.i18n.Message` (an English message id and its values) and
the dashboard, the API and ``dialer status`` render it in the reader's language. The machine-readable ``code``
(``paused``, ``ami_down``, a pacing guard, ``no_leads``, ...) never changes with the language."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dialer.agentless.pacing import AgentlessBound, AgentlessDecision, AgentlessLoad
from dialer.i18n import DEFAULT_LOCALE, M_, N_, Message, message_from_json
from dialer.pacing import PacingDecision, PacingExplanation, PacingMode
from dialer.pacing.pacer import Guard
from dialer.pacing.predictive import STEPS

# The runner states that hold new calls (dialer.runner.state.RunnerState values), marked for the catalogues.
STATE_MESSAGES = {
    "paused": N_("campaign is paused"),
    "draining": N_("campaign is draining: no new calls, the calls up finish"),
    "standby": N_("campaign is on standby: another daemon holds it"),
    "stopped": N_("campaign is stopped"),
}


def state_reason(state: str) -> Message:
    """A campaign that is not running: its state as a sentence."""
    if state in STATE_MESSAGES:
        return Message(STATE_MESSAGES[state])
    return M_("campaign is {state}", state=state)


def decision_reason(decision: PacingDecision) -> Message:
    """The pacer's last decision as a sentence for the dashboard's pacing line (``pacing.reason`` of the status):
    why it placed no call (:func:`paced_reason`), else how many calls and by which rule -- and whether without
    AMD (``PacingDecision.amd``)."""
    reason = _calls_reason(decision)
    if decision.calls > 0 and not decision.amd:
        return M_(
            "{reason}; without AMD: machines reach the agents, who mark them (a person AMD took for a machine would"
            " be an abandon the window has no room for)",
            reason=reason,
        )
    return reason


def _calls_reason(decision: PacingDecision) -> Message:
    exp = decision.explanation
    if decision.calls > 0 and exp.guard is Guard.CALL_LIMIT:
        return M_("{calls} calls, cut by the runner's call limit (trunk capacity, leads to dial)", calls=decision.calls)
    if decision.calls <= 0 or exp.guard is not None:
        return paced_reason(exp)
    free = _free(exp)
    if exp.effective_mode is PacingMode.PREDICTIVE:
        return M_(
            "predictive: {calls} calls, each keeping its abandon risk within {level} %; {agents} agents expected"
            " free vs {answers} live answers within {seconds} s",
            calls=decision.calls,
            level=round((exp.applied_level or 0.0) * 100, 1),
            agents=round(exp.expected_free_agents or 0.0, 1),
            answers=round(exp.expected_answers or 0.0, 1),
            seconds=STEPS - 1,
        )
    if exp.effective_mode is PacingMode.POWER:
        return M_("power: {calls} calls for {agents} free agents", calls=decision.calls, agents=exp.agents_ready)
    return M_("progressive: {free}", free=free)


def _free(exp: PacingExplanation) -> Message:
    return M_(
        "{ready} ready − {reserve} kept for inbound − {in_flight} calls in flight",
        ready=exp.agents_ready,
        reserve=exp.inbound_reserve,
        in_flight=exp.calls_dialling + exp.calls_amd + exp.calls_waiting,
    )


def paced_reason(exp: PacingExplanation) -> Message:
    """The pacer placed no call: why, from its explanation (the English technical detail stays in
    ``pacing.reason``; this is the sentence shown to a supervisor)."""
    free = _free(exp)
    guard = exp.guard
    if guard is Guard.NO_AGENTS:
        return M_("no agent logged in and unpaused")
    if guard is Guard.PREVIEW:
        return M_("preview mode: agents place their own calls")
    if guard is Guard.INBOUND_WAITING:
        return M_("inbound callers waiting ({n}) take the next free agents", n=exp.inbound_waiting)
    if guard is Guard.FEW_AGENTS:
        available = exp.agents_logged_in - exp.agents_paused
        return M_("only {n} agents available, too few to predict: progressive; {free}", n=available, free=free)
    if guard is Guard.IMMATURE:
        return M_("too few calls seen yet to trust the estimates: progressive; {free}", free=free)
    if guard is Guard.ABANDON_BUDGET:
        return M_(
            "{abandons} abandons of {live} live answers in the window ({rate} %): one more call could break the"
            " cap; progressive; {free}",
            abandons=round(exp.window_abandons, 1),
            live=round(exp.window_live_answers, 1),
            rate=round(exp.window_abandon_rate * 100, 2),
            free=free,
        )
    if guard is Guard.CALL_LIMIT:
        return M_("the runner's call limit (trunk capacity, leads to dial) leaves no call to place")
    return M_("no call to place now: {free}", free=free)


def agentless_reason(decision: AgentlessDecision, load: AgentlessLoad) -> Message:
    """An agentless campaign placed no call (:func:`dialer.agentless.pacing.agentless_launches`): what bounds it,
    as the sentence shown to a supervisor (``decision.reason`` stays the code)."""
    up = load.in_flight
    match decision.reason:
        case AgentlessBound.DONE:
            return M_("nothing to dial now: every lead is dialled or waits for its retry time")
        case AgentlessBound.TARGET:
            return M_(
                "calls up now: {up}; finishing the list by its target time needs {wanted}",
                up=up,
                wanted=decision.concurrency,
            )
        case AgentlessBound.CHANNELS:
            return M_("calls up now: {up}, the campaign's channel cap ({cap})", up=up, cap=load.max_channels)
        case AgentlessBound.AGENTS:
            return M_(
                "calls up now: {up}; more could bring more callers asking for an agent than the {agents} agents of"
                " its queue take",
                up=up,
                agents=load.agents,
            )
        case AgentlessBound.CPS:
            return M_("the calls-per-second budget is spent for this second")


# The status document's sentences (dialer.runner.runner.CampaignRunner.status): where each is, its rendered text's key
# and its message document's key (dialer.i18n.message_json).
_SENTENCES = (("why_not_dialing", "detail", "message"), ("pacing", "reason", "reason_message"))


def published_sentences(status: Mapping[str, Any]) -> dict[str, Any]:
    """A campaign's status document as a daemon publishes it for the other daemons' dashboards (dialer.store.floor):
    each sentence as its message document -- a newer reader renders it in its own language (:func:`with_sentences`)
    -- and as its English text, the field an older daemon reads (``why_not_dialing.detail``, ``pacing.reason``), so a
    floor of daemons of two versions still says why during a rolling upgrade."""
    return _rendered(status, DEFAULT_LOCALE)


def with_sentences(status: Mapping[str, Any]) -> dict[str, Any]:
    """A campaign's status document with its sentences rendered in the current language (the reader's) from their
    message documents -- this daemon's rows and the other daemons' alike. A row an older daemon published (its
    English text, no message document) keeps its text; so does one whose message document is not one."""
    return _rendered(status, None)


def _rendered(status: Mapping[str, Any], locale: str | None) -> dict[str, Any]:
    """``status`` with each sentence's text rendered from its message document in ``locale`` (None: the current)."""
    doc = dict(status)
    for part, text, message in _SENTENCES:
        held = doc.get(part)
        if not isinstance(held, Mapping) or not isinstance(said := held.get(message), Mapping):
            continue
        try:
            rendered = message_from_json(said).render(locale)
        except ValueError:
            rendered = str(held.get(text) or said.get("id") or "")
        doc[part] = {**held, text: rendered}
    return doc
