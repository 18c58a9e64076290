"""The predictive rule: place the next call only while its risk of being abandoned is at most the level.

Time ahead is cut into one-second steps ``τ = 0 … HORIZON``. For each step the pacer estimates

* supply ``S(τ)``: agents that will be able to take a call answered at ``τ`` — ready now, or free by
  ``τ + w`` (``w`` = the 2 s connect budget), each with the *conditional* probability
  P(talk remaining + wrap-up ≤ τ + w | already talking e s) or P(wrap-up ≤ e + τ + w | already wrapping e s).
  Using the unconditional handle-time CDF instead (Issabel) counts agents in long calls as finishing first,
  while a lognormal talk time's hazard *falls* with its age;
* demand ``D(τ)``: live answers by ``τ`` — callers already waiting, calls in AMD that will turn out human, and
  each ringing call with P(live answer by a + τ | still ringing at age a), which drops as a call rings on
  (busy lines end early, the longer a call rings the likelier it ends unanswered).

Both are sums of independent Bernoulli variables, taken as normal. A new call that a person answers at ``τ``
is abandoned when the demand ahead of it already uses the supply: P(D(τ) ≥ S(τ)). Averaged over its answer
time, that is the *marginal abandon risk* of one more call. Calls are added one by one (each new call adds to
the demand the next one faces) while the risk stays at most the controller's level — the Lagrangian rule for
maximising connected talk under an abandon-rate constraint (Samuelson 1999's "agent free at answer time").
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from dialer.pacing.snapshot import AgentState, AgentView
from dialer.pacing.stats import READY_LATENESS_OFFSET, BinnedDistribution, PacingStats, ShrunkDistribution

HORIZON = 30  # seconds of answer times considered: the ring timeout (~22 s) plus AMD, with margin
STEPS = HORIZON + 1
_SQRT2 = math.sqrt(2.0)
_ZERO_ROW = (0.0,) * STEPS
_ONE_ROW = (1.0,) * STEPS
MIN_VARIANCE = 0.05  # keeps the normal approximation from claiming certainty

Row = tuple[float, ...]


def elapsed_bucket(seconds: float) -> int:
    """Rows are cached per bucket of elapsed time: finer where the conditional probability changes fast."""
    if seconds < 60.0:
        return int(seconds) if seconds > 0.0 else 0
    if seconds < 300.0:
        return int(seconds / 2.0) * 2
    if seconds < 1200.0:
        return int(seconds / 10.0) * 10
    return min(int(seconds / 60.0) * 60, 3540)


class PredictiveTables:
    """Probability rows derived from :class:`PacingStats`, rebuilt when the learned distributions move.

    A cache, not state: it holds nothing that cannot be recomputed from the statistics.
    """

    WRAP_QUANTILES = 8

    def __init__(self, stats: PacingStats) -> None:
        self.stats = stats
        self._key: tuple[int, ...] | None = None
        self._talk: dict[int, tuple[Row, Row]] = {}
        self._wrap: dict[int, tuple[Row, Row]] = {}
        self._ring: dict[int, tuple[Row, Row]] = {}
        self._announced: dict[int, tuple[Row, Row]] = {}
        self._lateness_version = -1
        self._budget = -1.0
        self._p = 0.0
        self._wrap_points: list[float] = []
        self._agents: dict[str, _AgentRows] = {}
        # Each agent's answer of :meth:`_agent_rows` (their own rows, or None: the team's) with the sample counts it
        # was given for, valid while the team's tables and the budget are as ``_resolved_key`` says (:meth:`_resolve`).
        self._resolved: dict[str, tuple[tuple[int, int], tuple[object, ...], _AgentRows | None]] = {}
        self._resolved_key: tuple[object, ...] = ()
        self._samples_stamp: tuple[int, int] = (-1, -1)  # the team's talk and wrap-up sample counts
        self._rate_keys: dict[float, int] = {}  # answer rate → its ring-row key offset (:meth:`ringing`)
        self.amd_delay = 0.0  # seconds from a person's answer to the queue (AMD's listening time)
        self.ring_cdf: Row = _ZERO_ROW  # P(a live answer reaches the queue by τ | it comes)
        self.new_call: Row = _ZERO_ROW
        self.new_call_density: Row = _ZERO_ROW

    def refresh(self, connect_budget: float) -> None:
        s = self.stats
        talk, wrap, live, dead = (
            s.talk.cdf_table(),
            s.wrap.cdf_table(),
            s.live_ring.cdf_table(),
            s.dead_ring.cdf_table(),
        )
        del talk, wrap, live, dead  # rebuilt (versions bumped) if enough new samples arrived
        p = s.live_share.value
        # A person reaches the queue after AMD's verdict, ``delay`` s after answering (to the half second).
        delay = round(2.0 * s.amd_seconds) / 2.0 if s.amd_seconds is not None else 0.0
        key = (s.talk.version, s.wrap.version, s.live_ring.version, s.dead_ring.version)
        if (
            key == self._key
            and connect_budget == self._budget
            and delay == self.amd_delay
            and abs(p - self._p) < 0.03 * self._p
        ):
            return
        if key[:2] != (self._key or (-1, -1))[:2] or connect_budget != self._budget:
            self._announced.clear()
            self._talk.clear()
            self._wrap.clear()
            m = self.WRAP_QUANTILES
            self._wrap_points = [s.wrap.quantile((i + 0.5) / m) for i in range(m)]
        self._ring.clear()
        self._rate_keys.clear()
        self._key, self._budget, self._p, self.amd_delay = key, connect_budget, p, delay
        self.ring_cdf = tuple(s.live_ring.cdf_at(t - delay) for t in range(STEPS))
        g = [p * x for x in self.ring_cdf]
        self.new_call = tuple(g)
        self.new_call_density = tuple(g[t] - (g[t - 1] if t else 0.0) for t in range(STEPS))

    # -- agents: P(able to take a call answered at τ), i.e. free by τ + connect budget

    def talking(self, elapsed: float, agent: str | None = None) -> tuple[Row, Row]:
        """P(able to take a call answered at τ) of an agent talking for ``elapsed`` s: by the agent's own
        handle times when given and known (:meth:`PacingStats.agent_handle`), else the team's."""
        mine = self._agent_rows(agent)
        if mine is not None:
            return self._own_talking(mine, elapsed)
        key = elapsed_bucket(elapsed)
        row = self._talk.get(key)
        if row is None:
            row = self._talk[key] = _talking_row(self.stats.talk, self._wrap_points, float(key), self._budget)
        return row

    def wrapping(self, elapsed: float, agent: str | None = None) -> tuple[Row, Row]:
        key = int(elapsed * 2.0) if elapsed < 120.0 else 240
        mine = self._agent_rows(agent)
        cache = mine.wrap if mine is not None else self._wrap
        row = cache.get(key)
        if row is None:
            row = cache[key] = _wrapping_row(mine.wrap_dist if mine else self.stats.wrap, key / 2.0, self._budget)
        return row

    def announced(self, ready_in: float) -> tuple[Row, Row]:
        """P(able to take a call answered at τ) of an agent in wrap-up who announced being ready in ``ready_in``
        s: free by ``τ + budget``, read through how late agents are against their announcements
        (:attr:`PacingStats.ready_lateness`), given that this one is not free yet (lateness ``L > −ready_in``):
        ``P(L ≤ τ + budget − ready_in | L > −ready_in)``. An agent later than (nearly) every announcement
        ever was: not expected within the horizon."""
        lateness = self.stats.ready_lateness
        lateness.cdf_table()
        if lateness.version != self._lateness_version:
            self._announced.clear()
            self._lateness_version = lateness.version
        key = min(int(ready_in * 2.0) if ready_in > 0.0 else 0, int(2 * READY_LATENESS_OFFSET))
        row = self._announced.get(key)
        if row is None:
            row = self._announced[key] = _announced_row(lateness, key / 2.0, self._budget)
        return row

    def supply_rows(self, agents: Iterable[AgentView]) -> tuple[list[Row], list[Row]]:
        """The supply rows (means, variances) of the busy agents among ``agents``, in their order: what
        :meth:`talking` (an agent talking, reserved or ringing: elapsed 0 but talking), :meth:`announced` (in
        wrap-up with a "ready in N s") and :meth:`wrapping` give each; ready and paused agents give none. One
        loop for the pacer's every decision (the same rows as those calls, one by one)."""
        means: list[Row] = []
        variances: list[Row] = []
        talking, reserved, ringing = AgentState.TALKING, AgentState.RESERVED, AgentState.RINGING
        wrapup = AgentState.WRAPUP
        self._check_resolved()
        resolve, resolved, stamp = self._resolve, self._resolved, self._samples_stamp
        team_talk = self._talk
        for agent in agents:
            state = agent.state
            if state is talking or state is reserved or state is ringing:
                elapsed = agent.seconds_in_state if state is talking else 0.0
                ident = agent.agent_id
                if ident is None:
                    mine = None
                else:
                    last = resolved.get(ident)
                    mine = last[2] if last is not None and last[0] is stamp else resolve(ident)
                if mine is None:
                    # elapsed_bucket, its first case inlined
                    key = (int(elapsed) if elapsed > 0.0 else 0) if elapsed < 60.0 else elapsed_bucket(elapsed)
                    row = team_talk.get(key)
                    if row is None:
                        row = _talking_row(self.stats.talk, self._wrap_points, float(key), self._budget)
                        team_talk[key] = row
                else:
                    row = self._own_talking(mine, elapsed)
            elif state is wrapup:
                if agent.ready_in_seconds is not None:
                    row = self.announced(agent.ready_in_seconds)
                else:
                    row = self.wrapping(agent.seconds_in_state, agent.agent_id)
            else:
                continue
            means.append(row[0])
            variances.append(row[1])
        return means, variances

    def _own_talking(self, mine: _AgentRows, elapsed: float) -> tuple[Row, Row]:
        key = elapsed_bucket(elapsed)
        row = mine.talk.get(key)
        if row is None:
            row = mine.talk[key] = _talking_row(mine.talk_dist, mine.wrap_points, float(key), self._budget)
        return row

    def _check_resolved(self) -> None:
        """Forget every agent's resolved rows once the team's tables (or the budget) moved."""
        s = self.stats
        talk, wrap = s.talk, s.wrap
        talk.cdf_table()
        wrap.cdf_table()  # (as refresh does: versions bumped if enough new samples arrived)
        key = (talk, wrap, talk.version, wrap.version, self._budget)
        if key != self._resolved_key:
            self._resolved.clear()
            self._resolved_key = key
        samples = (talk.samples, wrap.samples)
        if samples != self._samples_stamp:
            self._samples_stamp = samples

    def _agent_rows(self, agent: str | None) -> _AgentRows | None:
        if agent is None:
            return None
        self._check_resolved()
        return self._resolve(agent)

    def _resolve(self, agent: str) -> _AgentRows | None:
        """The agent's own rows (their tables brought up to date), or None: the team's.

        What :meth:`PacingStats.agent_handle` and the agent's tables say changes only with the agent's own samples
        (their count: the handle times' threshold; their tables, rebuilt after enough of them) or the team's
        tables (``_check_resolved``): while the agent's distributions are the same objects with the same sample
        counts, the last answer holds. An agent's samples arrive with the team's (``PacingStats.record_talk`` /
        ``record_wrap`` add to both): an answer given at the team's present sample counts (``_samples_stamp``)
        holds without looking."""
        s = self.stats
        stamp = self._samples_stamp
        last = self._resolved.get(agent)
        if last is not None and last[0] is stamp:
            return last[2]
        talk, wrap = s.agent_talk.get(agent), s.agent_wrap.get(agent)
        seen = (talk, wrap, -1 if talk is None else talk.samples, -1 if wrap is None else wrap.samples)
        if last is not None and last[1] == seen:
            self._resolved[agent] = (stamp, seen, last[2])
            return last[2]
        answer: _AgentRows | None = None
        handle = s.agent_handle(agent)
        if handle is not None:
            talk, wrap = handle
            talk.cdf_table()
            wrap.cdf_table()  # rebuilt (versions bumped) if the agent's or the team's data moved
            key = (talk.version, wrap.version, self._budget)
            rows = self._agents.get(agent)
            if rows is None or rows.key != key:
                m = self.WRAP_QUANTILES
                rows = self._agents[agent] = _AgentRows(
                    key, talk, wrap, [wrap.quantile((i + 0.5) / m) for i in range(m)]
                )
                rows.own = _differs(talk, s.talk) or _differs(wrap, s.wrap)
            answer = rows if rows.own else None
        self._resolved[agent] = (stamp, seen, answer)
        return answer

    # -- calls: P(live answer by τ | still ringing at age a)

    def ringing(self, age: float, answer_rate: float | None = None) -> tuple[Row, Row]:
        """P(live answer by τ | still ringing at ``age``) of a call whose lead answers at ``answer_rate`` (None:
        the campaign's rate)."""
        key = min(int(age) if age > 0.0 else 0, 90)
        if answer_rate is not None:
            offset = self._rate_keys.get(answer_rate)
            if offset is None:
                offset = self._rate_offset(answer_rate)
            key += offset
        row = self._ring.get(key)
        if row is None:
            row = self._ringing_row(key, answer_rate)
        return row

    def ringing_rows(self, ages: Sequence[float], answer_rates: Sequence[float | None] | None) -> list[tuple[Row, Row]]:
        """:meth:`ringing` of each ringing call (``answer_rates`` None: the campaign's rate for all), in order: the
        pacer reads them once per decision (its guard, the AMD false positives and the plan)."""
        ring, rate_keys = self._ring, self._rate_keys
        out: list[tuple[Row, Row]] = []
        if answer_rates is None:
            for age in ages:
                key = min(int(age) if age > 0.0 else 0, 90)
                row = ring.get(key)
                out.append(self._ringing_row(key, None) if row is None else row)
            return out
        for age, rate in zip(ages, answer_rates, strict=True):
            key = min(int(age) if age > 0.0 else 0, 90)
            if rate is not None:
                offset = rate_keys.get(rate)
                key += self._rate_offset(rate) if offset is None else offset
            row = ring.get(key)
            out.append(self._ringing_row(key, rate) if row is None else row)
        return out

    def _rate_offset(self, answer_rate: float) -> int:
        """The ring-row key offset of a lead's answer rate (rates to the 1/400), memoised until the next rebuild."""
        offset = 100 * (1 + round(min(0.95, max(0.0, answer_rate)) * 400))
        if len(self._rate_keys) < 65536:
            self._rate_keys[answer_rate] = offset
        return offset

    def _ringing_row(self, key: int, answer_rate: float | None) -> tuple[Row, Row]:
        s, a = self.stats, float(key % 100)
        p = self._p if answer_rate is None else min(0.95, max(0.0, answer_rate))
        g_a, h_a = s.live_ring.cdf_at(a), s.dead_ring.cdf_at(a)
        still = p * (1.0 - g_a) + (1.0 - p) * (1.0 - h_a)
        if still < 0.01:  # older than (almost) any dial ever rang: a stale entry, not a coming answer
            row = _variance_pair(_ZERO_ROW)
        else:
            d = self.amd_delay
            row = _variance_pair(
                tuple(
                    min(1.0, p * (s.live_ring.cdf_at(a + t - d) - g_a) / still) if t > d else 0.0 for t in range(STEPS)
                )
            )
        self._ring[key] = row
        return row

    def in_amd(self, age: float, typical_amd_seconds: float = 2.5) -> tuple[Row, Row]:
        """P(a person in the queue by τ) of a call in AMD for ``age`` s: the human share, from the learnt AMD
        listening time on (``typical_amd_seconds`` until one was learnt)."""
        h = self.stats.amd_human_share.value
        listening = self.amd_delay if self.stats.amd_seconds is not None else typical_amd_seconds
        start = max(0, math.ceil(listening - age))
        return _variance_pair(tuple(h if t >= start else 0.0 for t in range(STEPS)))


AGENT_OWN_MEAN_DIFFERENCE = 0.05  # an agent's own rows once their mean talk or wrap-up differs this much


def _differs(mine: BinnedDistribution, team: BinnedDistribution) -> bool:
    """Whether an agent's own (shrunk) distribution is worth its own rows: its mean differs from the team's by
    more than AGENT_OWN_MEAN_DIFFERENCE. Closer, the team's rows (shared by every agent: one memo, not one per
    agent) predict as well — within-agent spread dominates what knowing the agent adds."""
    team_mean = team.mean()
    return team_mean > 0.0 and abs(mine.mean() / team_mean - 1.0) > AGENT_OWN_MEAN_DIFFERENCE


class _AgentRows:
    """One agent's cached rows, valid while ``key`` (its distributions' versions, the budget) holds; ``own``:
    whether they differ enough from the team's to be used (:func:`_differs`)."""

    __slots__ = ("key", "own", "talk", "talk_dist", "wrap", "wrap_dist", "wrap_points")

    def __init__(
        self,
        key: tuple[int, int, float],
        talk_dist: ShrunkDistribution,
        wrap_dist: ShrunkDistribution,
        wrap_points: list[float],
    ) -> None:
        self.key = key
        self.talk_dist, self.wrap_dist, self.wrap_points = talk_dist, wrap_dist, wrap_points
        self.own = True
        self.talk: dict[int, tuple[Row, Row]] = {}
        self.wrap: dict[int, tuple[Row, Row]] = {}


def _talking_row(talk: BinnedDistribution, waits: list[float], e: float, budget: float) -> tuple[Row, Row]:
    """P(talk remaining + wrap-up ≤ τ + budget | talking for e s), wrap-up at its quantiles ``waits``.

    ``talk.cdf_at`` inlined (the same arithmetic on the same table): a row is 31 × 8 reads of the CDF."""
    f_e = talk.cdf_at(e)
    survival = 1.0 - f_e
    if survival < 1e-9:
        return _variance_pair(_ZERO_ROW)
    table = talk.cdf_table()
    bins, bin_seconds, last = talk.bins, talk.bin_seconds, table[-1]
    denominator = len(waits) * survival
    out = []
    for t in range(STEPS):
        horizon = e + t + budget
        acc = 0.0
        for w in waits:
            x = horizon - w
            if x > e:
                pos = x / bin_seconds
                if pos <= 0.0:
                    cdf = 0.0
                else:
                    i = int(pos)
                    cdf = last if i >= bins else table[i] + (table[i + 1] - table[i]) * (pos - i)
                acc += cdf - f_e
        out.append(min(1.0, acc / denominator))
    return _variance_pair(tuple(out))


def _wrapping_row(wrap: BinnedDistribution, e: float, budget: float) -> tuple[Row, Row]:
    f_e = wrap.cdf_at(e)
    survival = 1.0 - f_e
    if survival < 1e-9:
        return _variance_pair(_ONE_ROW)
    return _variance_pair(tuple(min(1.0, (wrap.cdf_at(e + t + budget) - f_e) / survival) for t in range(STEPS)))


def _announced_row(lateness: BinnedDistribution, ready_in: float, budget: float) -> tuple[Row, Row]:
    """``P(L ≤ τ + budget − ready_in | L > −ready_in)`` with ``L`` the lateness (stored shifted by
    READY_LATENESS_OFFSET)."""
    floor = lateness.cdf_at(READY_LATENESS_OFFSET - ready_in)
    survival = 1.0 - floor
    if survival < 0.01:
        return _variance_pair(_ZERO_ROW)
    shift = READY_LATENESS_OFFSET - ready_in + budget
    return _variance_pair(
        tuple(min(1.0, max(0.0, (lateness.cdf_at(shift + t) - floor) / survival)) for t in range(STEPS))
    )


def _variance_pair(mean: Row) -> tuple[Row, Row]:
    return mean, tuple(q * (1.0 - q) for q in mean)


def sum_rows(rows: list[Row], width: int = STEPS) -> list[float]:
    if not rows:
        return [0.0] * width
    return list(map(sum, zip(*rows, strict=True)))


def _risk(excess_mean: list[float], excess_var: list[float], density: Row, total: float) -> float:
    """Average over the new call's answer time of P(demand ahead ≥ supply), normal approximation."""
    acc = 0.0
    for t in range(STEPS):
        d = density[t]
        if d <= 0.0:
            continue
        v = excess_var[t]
        sd = math.sqrt(v if v > MIN_VARIANCE else MIN_VARIANCE)
        acc += d * 0.5 * (1.0 + math.erf((excess_mean[t] + 0.5) / (sd * _SQRT2)))
    return acc / total


def plan_calls(
    supply_mean: list[float],
    supply_var: list[float],
    demand_mean: list[float],
    demand_var: list[float],
    new_call: Row,
    new_call_density: Row,
    level: float,
    max_calls: int,
    *,
    ring_cdf: Row | None = None,
    answer_rates: Sequence[float] = (),
    default_rate: float = 0.0,
) -> tuple[int, float, float]:
    """How many new calls keep every added call's abandon risk at most ``level``.

    With ``ring_cdf`` the k-th new call adds ``answer_rates[k] × ring_cdf`` to the demand (``default_rate``
    beyond the given rates) instead of ``new_call``: the next leads' own answer rates.

    Returns ``(calls, risk of the last call placed, risk the next call would carry)``.
    """
    total = sum(new_call_density)
    if total <= 0.0 or max_calls <= 0:
        return 0, 0.0, 0.0
    excess = [d - s for d, s in zip(demand_mean, supply_mean, strict=True)]
    var = [a + b for a, b in zip(demand_var, supply_var, strict=True)]
    variance_step = [q * (1.0 - q) for q in new_call]
    placed, last_risk = 0, 0.0
    risk = _risk(excess, var, new_call_density, total)
    while placed < max_calls and risk <= level:
        if ring_cdf is not None:
            p = answer_rates[placed] if placed < len(answer_rates) else default_rate
            new_call = tuple(p * g for g in ring_cdf)
            variance_step = [q * (1.0 - q) for q in new_call]
        placed += 1
        last_risk = risk
        excess = [x + q for x, q in zip(excess, new_call, strict=True)]
        var = [x + q for x, q in zip(var, variance_step, strict=True)]
        risk = _risk(excess, var, new_call_density, total)
    return placed, last_risk, risk
