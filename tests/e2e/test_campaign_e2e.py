"""A 500-lead campaign with mixed outcomes runs to completion against the simulated PBX (real TCP, manual clock)."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from harness.e2e import World

from dialer.calls.outcome import Outcome
from dialer.campaign.rules import TERMINAL_STATUSES
from dialer.store.tables import attempts_t, leads_t

pytestmark = pytest.mark.slow

NEW_YORK = ZoneInfo("America/New_York")


async def test_a_campaign_runs_to_completion_and_matches_the_ground_truth(world: World) -> None:
    terminal = {s.value for s in TERMINAL_STATUSES}
    us_done = False

    def finished() -> bool:
        return us_done

    # Run in slices until every US lead has reached a final state (or 4 simulated hours pass).
    for _ in range(48):
        await world.run(300)
        leads = await world.rows(leads_t)
        us_done = all(lead["status"] in terminal for lead in leads if str(lead["phone"]).startswith("+1"))
        if us_done:
            break
    await world.run(60)  # let the last dispositions land
    leads = await world.rows(leads_t)
    attempts = await world.rows(attempts_t)
    truth = world.pbx.truth
    runner = world.dialer.runner("e2e")

    # Every lead ends in exactly one correct state.
    us_leads = [lead for lead in leads if str(lead["phone"]).startswith("+1")]
    jp_leads = [lead for lead in leads if str(lead["phone"]).startswith("+81")]
    assert len(us_leads) == 500
    assert all(lead["status"] in terminal for lead in us_leads), Counter(str(lead["status"]) for lead in us_leads)

    # Tokyo is asleep (01:00-05:00 local during the run): its leads were never dialled.
    assert all(lead["dials"] == 0 and lead["status"] == "new" for lead in jp_leads)
    assert not any(str(a["phone"]).startswith("+81") for a in attempts)

    # No call outside 08:00-21:00 in the called party's zone.
    for attempt in attempts:
        local = attempt["started_at"].astimezone(NEW_YORK)  # type: ignore[union-attr]
        assert 8 <= local.hour < 21

    # Attempts match the simulator's ground truth, one for one: no double dial, same outcome.
    assert truth.duplicates() == {}
    assert len(truth.originates) == len(attempts)
    by_action = {a["action_id"]: a for a in attempts}
    for record in truth.originates:
        attempt = by_action[record.action_id]
        assert attempt["outcome"] == (record.outcome.value if record.outcome else None), record.action_id

    # The abandon count equals the simulator's, and stays within the cap.
    abandoned = sum(1 for a in attempts if a["abandoned"])
    assert abandoned == sum(1 for r in truth.originates if r.abandoned)
    live = sum(1 for a in attempts if a["outcome"] in (Outcome.CONNECTED.value, Outcome.ABANDONED.value))
    assert live > 100
    assert abandoned <= 0.03 * live + 1

    # Bad numbers are archived with their reason and never dialled again.
    by_lead: dict[int, list[dict[str, object]]] = defaultdict(list)
    for attempt in sorted(attempts, key=lambda a: a["started_at"]):  # type: ignore[arg-type, return-value]
        by_lead[attempt["lead_id"]].append(attempt)  # type: ignore[index]
    for lead in us_leads:
        history = by_lead[lead["id"]]  # type: ignore[index]
        outcomes = [a["outcome"] for a in history]
        if outcomes and outcomes[-1] in ("unallocated", "invalid_number"):
            assert lead["status"] == "archived"
            assert lead["archive_reason"] == outcomes[-1]
            assert outcomes.count(outcomes[-1]) == 1
        # Unanswered leads came back only after their configured delay; never two calls at once.
        delays = {"busy": 60, "no_answer": 120, "congestion": 60, "failed": 60, "abandoned": 90}
        for previous, following in itertools.pairwise(history):
            assert following["started_at"] >= previous["ended_at"]  # type: ignore[operator]
            wait = following["started_at"] - previous["ended_at"]  # type: ignore[operator]
            assert wait >= timedelta(seconds=delays.get(str(previous["outcome"]), 0)) - timedelta(seconds=1)
        assert sum(1 for a in history if a["outcome"] in (None, "")) == 0
        # Connected leads were closed by the agent's (final) disposition.
        if "connected" in outcomes:
            assert lead["status"] == "done"

    # The runner's counters agree with the call records.
    outcomes = Counter(str(a["outcome"]) for a in attempts)
    assert runner.counters.attempts == len(attempts)
    assert runner.counters.connected == outcomes["connected"]
    assert runner.counters.abandoned == outcomes["abandoned"]
    assert runner.counters.archived == outcomes["unallocated"] + outcomes["invalid_number"]
    assert {"busy", "no_answer", "connected", "unallocated"} <= set(outcomes)
