"""What a campaign's pacer learns from the campaign's own stored records when its runner is loaded mid-day.

A daemon restarted, or taking a campaign over from one that died, used to start its pacer from the generic priors
(15 % answer rate, two-minute talk): a predictive campaign was held progressive until it had seen 30 live answers
and 20 handle times again, and then paced on a few minutes of data, while the records of every dial and every
agent state change were in the store. Loading now replays the latest of them, in order, into the pacer's
estimates through the same calls the live runner makes as its calls end and its agents change state:

* each dial ended (:class:`dialer.store.runtime.DialFact`): its ring time, whether a person answered, learnt by
  the called party's local hour and the lead's history as the live runner keys it
  (:meth:`dialer.pacing.stats.PacingStats.record_attempt`), and its AMD verdict;
* each talk and wrap-up of the campaign's queue, from the agents' state changes (:class:`HandleTimer`, the one
  reading of talk and wrap-up times the live runner uses too).

Every estimate forgets by samples, not by time, so replaying the last dials in order leaves the estimates where a
runner that had dialled them would have them: :data:`SEED_DIALS` is several half-lives of each (the answer rate's
500 dials, the ring times' 1 500, an hour of day's 3 000). The legal window is seeded apart, from every answer of
the regime window (:func:`dialer.store.runtime.answer_history`). What is not stored is not learnt here: the abandon
controller's level, how long AMD listens, how late agents are against their "ready in N s" -- the loader resumes
those from the pacer's memory the campaign's last owner saved (:mod:`dialer.pacing.memory`), no older than
:data:`SEED_SINCE` either.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

from dialer.agents.registry import AgentStatus
from dialer.calls.outcome import Outcome
from dialer.campaign.config import CampaignConfig
from dialer.campaign.rules import LeadSnapshot
from dialer.pacing.stats import LeadHistory, PacingStats
from dialer.runner.lookahead import local_hour, pacing_zone
from dialer.store.agent_history import AgentEventRecord
from dialer.store.runtime import DialFact

LIVE_ANSWER_OUTCOMES = frozenset(o.value for o in Outcome if o.is_live_answer)

SEED_DIALS = 20_000  # the latest dials replayed
SEED_AGENT_EVENTS = 40_000  # the latest agent state changes read (a call is about 4 of them)
SEED_SINCE = timedelta(days=7)  # nothing older: the campaign of last week is another campaign


class HandleKind(StrEnum):
    TALK = "talk"
    WRAP = "wrap"


@dataclass(slots=True)
class HandleTimer:
    """Talk and wrap-up times of one campaign's calls, read off its agents' state changes: a talk starts when an
    agent starts talking on a call of ``queue`` and ends with the next change; the wrap-up that follows it ends
    with the change after. A blended agent's inbound calls (another queue) are not the campaign's."""

    queue: str
    talk_started: dict[str, float] = field(default_factory=dict)
    wrap_started: dict[str, float] = field(default_factory=dict)

    def change(
        self, agent_id: str, previous: AgentStatus, current: AgentStatus, at: float, call_queue: str | None
    ) -> tuple[HandleKind, float] | None:
        """The talk or wrap-up this change ends (its kind and seconds), if any."""
        if current is AgentStatus.TALKING and call_queue == self.queue:
            self.talk_started[agent_id] = at
            return None
        if previous is AgentStatus.TALKING:
            started = self.talk_started.pop(agent_id, None)
            if started is None:
                return None
            if current is AgentStatus.WRAPUP:
                self.wrap_started[agent_id] = at
            return HandleKind.TALK, at - started
        if previous is AgentStatus.WRAPUP:
            wrap_started = self.wrap_started.pop(agent_id, None)
            return None if wrap_started is None else (HandleKind.WRAP, at - wrap_started)
        return None


@dataclass(frozen=True, slots=True)
class Learnt:
    """How much a loaded runner learnt from the records: dials, talks and wrap-ups replayed."""

    dials: int
    talks: int
    wraps: int


def learn_dial(stats: PacingStats, config: CampaignConfig, dial: DialFact) -> None:
    """One stored dial into the estimates, keyed as the live runner keys the call it places
    (:mod:`dialer.runner.originate`): the called party's local hour at the dial (its zone:
    :func:`~dialer.runner.lookahead.pacing_zone`), and the lead's attempts before it and previous outcome."""
    lead = LeadSnapshot(
        id=0, campaign=config.name, phone="", tz_candidates=dial.tz_candidates, postal_zones=dial.postal_zones
    )
    hour = local_hour(dial.started_at.timestamp(), pacing_zone(lead, config))
    history = LeadHistory(dial.attempts_before + 1, dial.previous_outcome)
    if dial.amd_status is not None:
        stats.record_amd(dial.amd_status == "HUMAN")
    live = dial.outcome in LIVE_ANSWER_OUTCOMES
    stats.record_attempt(dial.ring_seconds, live, hour=hour, history=history)


def learn_from_records(
    stats: PacingStats, config: CampaignConfig, dials: Sequence[DialFact], changes: Sequence[AgentEventRecord]
) -> Learnt:
    """Replay ``dials`` (oldest first) and the talks and wrap-ups of the campaign's queue in ``changes`` (oldest
    first) into ``stats``."""
    for dial in dials:
        learn_dial(stats, config, dial)
    talks = wraps = 0
    for agent, kind, seconds in handle_times(config.queue, changes):
        if kind is HandleKind.TALK:
            stats.record_talk(seconds, agent)
            talks += 1
        else:
            stats.record_wrap(seconds, agent)
            wraps += 1
    return Learnt(len(dials), talks, wraps)


def handle_times(queue: str, changes: Iterable[AgentEventRecord]) -> Iterator[tuple[str, HandleKind, float]]:
    """Each talk and wrap-up of ``queue``'s calls in ``changes`` (oldest first), as it ends: (agent, kind,
    seconds) -- a runner's campaign queue, or an inbound queue (the staffing forecast's wrap-up)."""
    timer = HandleTimer(queue)
    for change in changes:
        if change.previous is None:
            continue
        ended = timer.change(
            change.agent, AgentStatus(change.previous), AgentStatus(change.status), change.at.timestamp(), change.queue
        )
        if ended is not None:
            yield change.agent, *ended
