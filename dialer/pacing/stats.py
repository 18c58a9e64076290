"""What the pacer learns online from the campaign's own calls: pure, incrementally updated, no clock.

The daemon (and the simulator) feed one :class:`PacingStats` per campaign:

* ``record_attempt(ring_seconds, live)`` when a dial's fate is known: answered by a live person after
  ``ring_seconds``, or ended without one (busy, no answer, machine, failure) after ``ring_seconds``;
* ``record_talk(seconds)`` / ``record_wrap(seconds)`` when a conversation / an after-call work ends;
* ``record_ready_announcement(lateness)`` when an agent who announced "ready in N s" in wrap-up became free,
  ``lateness`` s after the announced time (negative: sooner);
* ``record_amd(human, now)`` when AMD gives a verdict (a machine verdict adds the regime's false-positive
  estimate to the legal window: see :meth:`PacingStats.record_amd`);
* ``record_live_answer(now, abandoned, placed_predictively)`` for every live answer, connected or abandoned:
  it feeds the legal abandon window and the online controller.

Distributions are histograms with exponential forgetting (a half-life counted in samples) blended with a weak
prior (Bayesian shrinkage), so the first minutes of a campaign are sane and a drifting campaign is followed.

Why one module (over 500 lines): :class:`PacingStats` is one learner; its histograms, the legal window, the
controller and the AMD estimates are updated together by the same ``record_*`` calls and read together by the pacer.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from dialer.pacing.snapshot import PacingSettings


def normal_cdf(mean: float, sd: float) -> Callable[[float], float]:
    def cdf(x: float) -> float:
        return 0.5 * (1.0 + math.erf((x - mean) / (sd * math.sqrt(2.0))))

    return cdf


# An agent's "ready in N s" (the console's announcement, at most 300 s ahead) is evidence of when they will be free,
# not a certainty: the pacer learns how late agents are against it, from ``-READY_LATENESS_OFFSET`` s (sooner) to
# ``READY_LATENESS_LATEST`` s later (beyond: not free within the horizon), and reads an announcement through that
# distribution (dialer.pacing.predictive.PredictiveTables.announced). Until it has its own, the prior: announcements
# honest to within a few seconds either way (normal, sd READY_LATENESS_PRIOR_SD), worth READY_LATENESS_PRIOR_WEIGHT.
READY_LATENESS_OFFSET = 300.0
READY_LATENESS_LATEST = 120.0
READY_LATENESS_PRIOR_SD = 4.0
READY_LATENESS_PRIOR_WEIGHT = 20.0


def lognormal_cdf(mean: float, sd: float) -> Callable[[float], float]:
    sigma2 = math.log1p((sd / mean) ** 2)
    mu, sigma = math.log(mean) - sigma2 / 2.0, math.sqrt(sigma2)

    def cdf(x: float) -> float:
        if x <= 0.0:
            return 0.0
        return 0.5 * (1.0 + math.erf((math.log(x) - mu) / (sigma * math.sqrt(2.0))))

    return cdf


class BinnedDistribution:
    """Reading a binned CDF (``cdf_table()[i]`` = P(X ≤ i × bin_seconds)): interpolation, quantiles, mean."""

    __slots__ = ()
    bins: int
    bin_seconds: float

    def cdf_table(self) -> list[float]:
        raise NotImplementedError

    def cdf_at(self, x: float) -> float:
        table = self.cdf_table()
        pos = x / self.bin_seconds
        if pos <= 0.0:
            return 0.0
        i = int(pos)
        if i >= self.bins:
            return table[-1]
        return table[i] + (table[i + 1] - table[i]) * (pos - i)

    def quantile(self, u: float) -> float:
        table = self.cdf_table()
        if u >= table[-1]:
            return self.bins * self.bin_seconds
        lo, hi = 0, self.bins
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if table[mid] < u:
                lo = mid
            else:
                hi = mid
        span = table[hi] - table[lo]
        frac = (u - table[lo]) / span if span > 0 else 0.0
        return (lo + frac) * self.bin_seconds

    def mean(self) -> float:
        table = self.cdf_table()
        tail = 1.0 - table[-1]
        return self.bin_seconds * (sum(1.0 - c for c in table[:-1]) + tail)


class _ForgettingCounts:
    """A histogram whose sample ``i`` weighs ``growth**i`` (growth = 2^(1/half_life)): the newest ``half_life``
    samples carry half the mass. Weights grow rather than old counts shrink (one add per sample, no decay pass);
    everything is rescaled before the weights overflow. A bin index past the end counts in the last bin."""

    __slots__ = ("counts", "growth", "mass", "samples", "weight")

    def __init__(self, bins: int, half_life: float) -> None:
        self.counts = [0.0] * bins
        self.growth = 2.0 ** (1.0 / half_life)
        self.weight = 1.0  # weight of the next sample
        self.mass = 0.0  # sum of data weights
        self.samples = 0

    def add(self, index: int) -> None:
        last = len(self.counts) - 1
        self.counts[index if index < last else last] += self.weight
        self.mass += self.weight
        self.weight *= self.growth
        if self.weight > 1e100:
            scale = 1.0 / self.weight
            self.counts = [c * scale for c in self.counts]
            self.mass *= scale
            self.weight = 1.0
        self.samples += 1

    @property
    def effective_samples(self) -> float:
        """The data's weight in newest-sample units (saturates near half_life / ln 2)."""
        return self.mass / self.weight


class _LearntHistogram(BinnedDistribution):
    """What a binned distribution learnt from samples holds: forgetting counts in bins ``data_bin_seconds`` wide,
    and a cumulative table that is rebuilt every ``refresh_every`` new samples (more often while the data is
    young: every quarter of the samples, at least every ``REFRESH_FLOOR``)."""

    __slots__ = ("_cdf", "_data", "_since_refresh", "data_bin_seconds", "refresh_every", "version")
    REFRESH_FLOOR = 10

    def __init__(self, data_bins: int, data_bin_seconds: float, half_life: float, refresh_every: int) -> None:
        self.data_bin_seconds = data_bin_seconds
        self._data = _ForgettingCounts(data_bins, half_life)
        self.refresh_every = refresh_every
        self._since_refresh = 0
        self._cdf: list[float] | None = None
        self.version = 0

    def add(self, x: float) -> None:
        self._data.add(int(x / self.data_bin_seconds) if x > 0.0 else 0)
        self._since_refresh += 1
        if self._cdf is not None and self._since_refresh >= min(
            self.refresh_every, max(self.REFRESH_FLOOR, self.samples // 4)
        ):
            self._cdf = None

    @property
    def samples(self) -> int:
        return self._data.samples

    @property
    def effective_samples(self) -> float:
        """The data's weight measured in newest-sample units (saturates near half_life / ln 2)."""
        return self._data.effective_samples

    def learnt(self) -> tuple[dict[int, float], int]:
        """All the data holds: each non-empty bin's count in newest-sample units (÷ the next sample's weight, the
        only scale the readings use) and the number of samples. :meth:`relearn` takes it back."""
        data = self._data
        return {i: c / data.weight for i, c in enumerate(data.counts) if c > 0.0}, data.samples

    def relearn(self, counts: Mapping[int, float], samples: int) -> None:
        """Start from what another histogram of the same shape :meth:`learnt`: it reads as that one read (once
        its table is rebuilt) and learns on as that one would."""
        data = self._data
        fresh = [0.0] * len(data.counts)
        for i, c in counts.items():
            if not (0 <= i < len(fresh) and math.isfinite(c) and c >= 0.0):
                raise ValueError(f"bin {i} of {len(fresh)}: count {c}")
            fresh[i] = c
        if samples < 0:
            raise ValueError(f"samples {samples} must not be negative")
        data.counts, data.weight, data.mass, data.samples = fresh, 1.0, math.fsum(fresh), samples
        self._cdf = None
        self._since_refresh = 0


class EmpiricalDistribution(_LearntHistogram):
    """A forgetting histogram on ``[0, bins × bin_seconds)`` plus an overflow bin, shrunk towards a prior.

    Sample ``i`` weighs ``growth**i`` (growth = 2^(1/half_life)): the newest ``half_life`` samples carry half
    the mass. The posterior is ``(prior_weight × prior + data) / (prior_weight + data mass)``.
    ``cdf_at(x)`` reads a cached cumulative table, rebuilt after ``refresh_every`` new samples.
    """

    __slots__ = ("_prior", "bin_seconds", "bins", "prior_weight")

    def __init__(
        self,
        *,
        bin_seconds: float,
        bins: int,
        prior_cdf: Callable[[float], float],
        prior_weight: float = 10.0,
        half_life: float = 2000.0,
        refresh_every: int = 500,
    ) -> None:
        self.bin_seconds, self.bins = bin_seconds, bins
        edges = [prior_cdf(i * bin_seconds) for i in range(bins + 1)]
        self._prior = [edges[i + 1] - edges[i] for i in range(bins)] + [1.0 - edges[-1]]
        self.prior_weight = prior_weight
        super().__init__(bins + 1, bin_seconds, half_life, refresh_every)

    def cdf_table(self) -> list[float]:
        """``table[i]`` = P(X ≤ i × bin_seconds) for i = 0 … bins (the overflow bin's mass is above the end)."""
        if self._cdf is None:
            data = self._data
            total = self.prior_weight + data.effective_samples
            a = self.prior_weight / total
            b = (1.0 / data.weight) / total
            acc, table = 0.0, [0.0]
            for prior, count in zip(self._prior[:-1], data.counts[:-1], strict=True):
                acc += a * prior + b * count
                table.append(acc)
            self._cdf = table
            self._since_refresh = 0
            self.version += 1
        return self._cdf


class ShrunkDistribution(_LearntHistogram):
    """One agent's own distribution (talk or wrap-up), shrunk toward the team's when it has few samples.

    The agent's samples go into a forgetting histogram ``coarsen`` times coarser than the team's (each coarse
    bin's mass spread evenly over its team bins, a smoothing); the posterior is
    ``(prior_weight × team + data) ÷ (prior_weight + data mass)``, rebuilt when the agent's data or the team's
    table moved. The same reading interface as :class:`EmpiricalDistribution`.
    """

    __slots__ = ("_team_version", "bin_seconds", "bins", "coarsen", "prior_weight", "team")
    REFRESH_FLOOR = 5

    def __init__(
        self,
        team: EmpiricalDistribution,
        *,
        coarsen: int,
        prior_weight: float = 100.0,
        half_life: float = 500.0,
        refresh_every: int = 50,
    ) -> None:
        self.team = team
        self.bins, self.bin_seconds = team.bins, team.bin_seconds
        self.coarsen = coarsen
        self.prior_weight = prior_weight
        super().__init__(team.bins // coarsen + 1, team.bin_seconds * coarsen, half_life, refresh_every)
        self._team_version = -1

    def cdf_table(self) -> list[float]:
        team = self.team.cdf_table()
        if self._cdf is None or self._team_version != self.team.version:
            mine = self._data
            total = self.prior_weight + mine.effective_samples
            a = self.prior_weight / total
            b = (1.0 / mine.weight) / total / self.coarsen
            counts, c = mine.counts, self.coarsen
            acc, table = 0.0, [0.0]
            for i in range(self.team.bins):
                acc += b * (counts[i // c] if i // c < len(counts) - 1 else 0.0)
                table.append(a * team[i + 1] + acc)
            self._cdf = table
            self._team_version = self.team.version
            self._since_refresh = 0
            self.version += 1
        return self._cdf


class DecayedShare:
    """A share (e.g. live answers per attempt) with exponential forgetting and a Beta prior."""

    __slots__ = ("_decay", "_hits", "_total", "prior_hits", "prior_total", "samples")

    def __init__(self, prior_share: float, prior_weight: float, half_life: float) -> None:
        self.prior_hits, self.prior_total = prior_share * prior_weight, prior_weight
        self._decay = 0.5 ** (1.0 / half_life)
        self._hits = 0.0
        self._total = 0.0
        self.samples = 0

    def add(self, hit: bool) -> None:
        self._hits = self._hits * self._decay + (1.0 if hit else 0.0)
        self._total = self._total * self._decay + 1.0
        self.samples += 1

    def retract_hit(self, sample: int) -> None:
        """The hit added as sample number ``sample`` (``samples`` just after it was added) was a miss: its weight
        now, ``decay ** (samples − sample)``, leaves the hits (the sample stays counted)."""
        if 0 < sample <= self.samples:
            self._hits = max(0.0, self._hits - self._decay ** (self.samples - sample))

    @property
    def value(self) -> float:
        return (self.prior_hits + self._hits) / (self.prior_total + self._total)

    @property
    def hits(self) -> float:
        """The data's (forgetting) count of hits, without the prior."""
        return self._hits

    @property
    def total(self) -> float:
        return self._total


@dataclass(frozen=True, slots=True)
class LeadHistory:
    """What a dial's lead had before it: this dial's attempt number (1 = first) and the previous attempt's
    outcome (an ``Outcome`` value; None on a first attempt)."""

    attempt: int = 1
    last_outcome: str | None = None

    MAX_ATTEMPT_CLASS = 4  # attempts 4, 5, … share one class

    @property
    def key(self) -> str:
        attempt = min(max(1, self.attempt), self.MAX_ATTEMPT_CLASS)
        return f"{attempt}:{self.last_outcome or '-'}" if attempt > 1 else "1"


@dataclass(frozen=True, slots=True)
class LearntDial:
    """Where :meth:`PacingStats.record_attempt` learnt one dial: whether as a live answer, its keys, and its sample
    number in the recent rate and in the rates by hour and history (:meth:`AnswerRates.add`)."""

    live: bool
    hour: int | None
    history: LeadHistory | None
    sample: int
    rates_at: tuple[int, int, int]


class AnswerRates:
    """Live answers per dial by hour of day and by lead history, learnt from the campaign's own dials.

    ``rate(hour, history)`` = the hour's rate × the history class's factor:

    * the hour's rate ``(hits_h + k × p_now) ÷ (n_h + k)``, shrunk toward the campaign's recent rate ``p_now``
      (:attr:`PacingStats.live_share`): an hour never dialled reads as now, an hour dialled on earlier days
      (forgetting, half-life ``half_life`` dials per hour) as it was then;
    * the class's factor ``((hits_c + k p̄) ÷ (n_c + k)) ÷ p̄``, ``p̄`` the long-run rate over the same dials:
      1 for a class never seen, the class's measured ratio to the average once it has data.
    """

    __slots__ = ("_classes", "_hours", "half_life", "long_run", "prior_weight", "recent")

    def __init__(self, recent: DecayedShare, *, prior_weight: float = 200.0, half_life: float = 3000.0) -> None:
        self.recent = recent
        self.prior_weight = prior_weight
        self.half_life = half_life
        self.long_run = DecayedShare(prior_share=0.15, prior_weight=1.0, half_life=half_life * 4)
        self._hours: dict[int, DecayedShare] = {}
        self._classes: dict[str, DecayedShare] = {}

    def add(self, live: bool, hour: int | None, history: LeadHistory | None) -> tuple[int, int, int]:
        """Learn one dial; returns where it stands in the hour's, the long run's and the history class's samples
        (0: not learnt there), for :meth:`retract_hit`."""
        at_hour = at_long = at_class = 0
        if hour is not None:
            share = self._hours.get(hour % 24)
            if share is None:
                share = self._hours[hour % 24] = DecayedShare(0.0, 0.0, self.half_life)
            share.add(live)
            at_hour = share.samples
        if history is not None:
            self.long_run.add(live)
            at_long = self.long_run.samples
            key = history.key
            share = self._classes.get(key)
            if share is None:
                share = self._classes[key] = DecayedShare(0.0, 0.0, self.half_life)
            share.add(live)
            at_class = share.samples
        return at_hour, at_long, at_class

    def retract_hit(self, hour: int | None, history: LeadHistory | None, at: tuple[int, int, int]) -> None:
        """The live answer learnt by :meth:`add` (which returned ``at``) was not one."""
        at_hour, at_long, at_class = at
        if hour is not None and at_hour and (share := self._hours.get(hour % 24)) is not None:
            share.retract_hit(at_hour)
        if history is not None and at_class:
            self.long_run.retract_hit(at_long)
            if (share := self._classes.get(history.key)) is not None:
                share.retract_hit(at_class)

    def hour_rate(self, hour: int | None) -> float:
        now = self.recent.value
        share = self._hours.get(hour % 24) if hour is not None else None
        if share is None:
            return now
        return (share.hits + self.prior_weight * now) / (share.total + self.prior_weight)

    def history_factor(self, history: LeadHistory | None) -> float:
        share = self._classes.get(history.key) if history is not None else None
        if share is None:
            return 1.0
        average = self.long_run.value
        k = self.prior_weight / 4.0
        return (share.hits + k * average) / (share.total + k) / max(average, 1e-3)

    def rate(self, hour: int | None = None, history: LeadHistory | None = None) -> float:
        return min(0.95, max(0.001, self.hour_rate(hour) * self.history_factor(history)))


class AbandonWindow:
    """Live answers and abandons over the trailing legal window, in buckets of window/1440.

    Counts are floats: besides whole queue abandons the window holds *estimated* abandons — under Ofcom every
    AMD machine verdict adds the regime's false-positive rate ``f`` both to the abandons and to the live answers
    (a person wrongly classed as a machine is a live answer hung up on), the same estimate the compliance report
    adds (``dialer.reports.compliance``: ``(abandoned + machines × f) ÷ (live + machines × f)``).
    """

    __slots__ = (
        "_buckets",
        "abandons",
        "bucket_seconds",
        "estimated",
        "estimated_variance",
        "live_answers",
        "window_seconds",
    )

    def __init__(self, window_seconds: float) -> None:
        self.window_seconds = window_seconds
        self.bucket_seconds = window_seconds / 1440.0
        # [bucket index, live answers, abandons, variance of the estimated part, estimated abandons]
        self._buckets: deque[list[float]] = deque()
        self.live_answers = 0.0
        self.abandons = 0.0
        # The estimated abandons (AMD false positives: weights < 1) among ``abandons``.
        self.estimated = 0.0
        # An estimated abandon of weight w stands for a person (probability w) or a machine: the true count
        # behind the window's estimated part scatters around it with variance Σ w (1 − w).
        self.estimated_variance = 0.0

    def add(self, now: float, abandoned: bool, weight: float = 1.0) -> None:
        """``weight`` live answers (1 for a real one, the false-positive rate for an AMD machine verdict), all
        abandoned when ``abandoned``."""
        if not 0.0 <= weight <= 1.0:
            raise ValueError(f"weight {weight} must be in [0, 1]")
        index = math.floor(now / self.bucket_seconds)
        if not self._buckets or self._buckets[-1][0] != index:
            self._buckets.append([index, 0.0, 0.0, 0.0, 0.0])
        bucket = self._buckets[-1]
        bucket[1] += weight
        self.live_answers += weight
        if abandoned:
            bucket[2] += weight
            self.abandons += weight
        if weight < 1.0:
            spread = weight * (1.0 - weight)
            bucket[3] += spread
            self.estimated_variance += spread
            if abandoned:
                bucket[4] += weight
                self.estimated += weight
        self.expire(now)

    def retract(self, at: float) -> bool:
        """Take back one live answer (not abandoned) added at ``at``: a call an agent then found was an answering
        machine. False if ``at``'s bucket has left the window (or holds no whole live answer)."""
        index = math.floor(at / self.bucket_seconds)
        for bucket in reversed(self._buckets):
            if bucket[0] < index:
                break
            if bucket[0] == index:
                if bucket[1] - bucket[2] < 1.0 - 1e-9:  # no answer there that was not abandoned
                    return False
                bucket[1] -= 1.0
                self.live_answers -= 1.0
                return True
        return False

    def expire(self, now: float) -> None:
        oldest = math.floor(now / self.bucket_seconds) - 1440
        while self._buckets and self._buckets[0][0] <= oldest:
            _, answers, abandons, spread, estimated = self._buckets.popleft()
            self.live_answers -= answers
            self.abandons -= abandons
            self.estimated_variance -= spread
            self.estimated -= estimated
        if not self._buckets:  # no float residue in an empty window
            self.live_answers = self.abandons = self.estimated_variance = self.estimated = 0.0

    def rate(self) -> float:
        return _share(self.abandons, self.live_answers)

    def seen_at(self, now: float) -> tuple[float, float]:
        """(live answers, abandon rate) over the window ending at ``now``, as :meth:`expire` would leave them,
        without changing the window (a reader's view: the alerts, while the pacer owns the window)."""
        answers, abandons = self.recent(now, self.window_seconds)
        return answers, _share(abandons, answers)

    def recent(self, now: float, seconds: float) -> tuple[float, float]:
        """(live answers, abandons) over the last ``seconds`` (at most the window), to the bucket."""
        first = math.floor(now / self.bucket_seconds) - min(1440, math.ceil(seconds / self.bucket_seconds))
        answers = abandons = 0.0
        for index, bucket_answers, bucket_abandons, *_ in self._buckets:
            if index > first:
                answers += bucket_answers
                abandons += bucket_abandons
        return answers, abandons

    def leaving(self, now: float, seconds: float) -> tuple[float, float]:
        """(live answers, abandons) that leave the window within the next ``seconds``: the oldest buckets."""
        last = math.floor((now + seconds) / self.bucket_seconds) - 1440
        answers = abandons = 0.0
        for index, bucket_answers, bucket_abandons, *_ in self._buckets:
            if index > last:
                break
            answers += bucket_answers
            abandons += bucket_abandons
        return answers, abandons


def _share(abandons: float, answers: float) -> float:
    return abandons / answers if answers > 1e-9 else 0.0


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


class AbandonController:
    """Online controller of the predictive threshold, held at the abandon setpoint.

    The pacer places a call only while that call's risk of being abandoned (if a person answers) is at most
    ``level``. Each live answer moves ``x = logit(level)``: up by ``gain × setpoint`` when connected, down by
    ``gain × (1 − setpoint)`` when abandoned. It rests where abandons ÷ live answers = setpoint, and over any
    stretch of calls ``abandons = setpoint × answers − Δx / gain``: the abandon count of a window is held to
    within a few calls of the setpoint whatever the luck of the draw — the controller absorbs the noise by
    moving the level, rather than integrating a campaign-to-date rate that reacts ever more slowly.
    """

    __slots__ = ("boost", "boost_half_life", "gain", "updates", "x", "x_max", "x_min")

    def __init__(
        self, initial_level: float = 0.02, gain: float = 0.15, boost: float = 0.6, boost_half_life: float = 300.0
    ) -> None:
        self.gain = gain
        # A young campaign does not know where its level belongs (it differs between teams, answer rates and
        # inbound loads by a factor of ten): the gain starts higher and settles as live answers accrue.
        self.boost, self.boost_half_life = boost, boost_half_life
        self.updates = 0
        self.x = _logit(initial_level)
        self.x_min, self.x_max = _logit(0.0005), _logit(0.6)

    @property
    def level(self) -> float:
        return 1.0 / (1.0 + math.exp(-self.x))

    @property
    def current_gain(self) -> float:
        return self.gain + self.boost * self.boost_half_life / (self.boost_half_life + self.updates)

    def update(self, abandoned: bool, setpoint: float, weight: float = 1.0) -> None:
        """One live answer (``weight`` < 1: an estimated one, e.g. an AMD false positive)."""
        gain = self.current_gain * weight
        self.updates += 1
        self.x += -gain * (1.0 - setpoint) if abandoned else gain * setpoint
        if self.x < self.x_min:
            self.x = self.x_min
        elif self.x > self.x_max:
            self.x = self.x_max


# The room a window that only grows (the campaign's first day) keeps under the cap, in units of the controller's
# scatter ``1 ÷ gain`` abandons (:meth:`PacingStats.marginal_window_setpoint`; a rolling window keeps 1): 2 (13
# abandons) chosen on seeds 7 / 8 of n10-p020 over 1 (start windows 2.85 / 2.84 % against 2.75 / 2.78 %,
# occupancy within the seeds' noise) (docs/benchmarks.md §1.6).
YOUNG_WINDOW_SCATTER = 2.0


def effective_setpoint(settings: PacingSettings) -> float:
    """The controller's target after the manual override: scaled by aggressiveness, never above 97 % of the cap."""
    return min(settings.abandon_cap * 0.97, settings.abandon_setpoint * settings.aggressiveness)


def _record_handle_time(
    team: EmpiricalDistribution,
    agents: dict[str, ShrunkDistribution],
    seconds: float,
    agent: str | None,
    *,
    coarsen: int,
) -> None:
    """One talk or wrap-up time, into the team's distribution and, for a known ``agent``, into the agent's own
    (made on the agent's first, shrunk toward the team's, ``coarsen`` times coarser)."""
    team.add(seconds)
    if agent is not None:
        mine = agents.get(agent)
        if mine is None:
            mine = agents[agent] = ShrunkDistribution(team, coarsen=coarsen)
        mine.add(seconds)


class PacingStats:
    """Everything the pacer learns about one campaign. Feed it events; :func:`dialer.pacing.decide` reads it."""

    def __init__(self, settings: PacingSettings | None = None, *, half_life: float = 1500.0) -> None:
        settings = settings or PacingSettings()
        # Talk and wrap-up: weak generic priors (a couple of minutes; twenty seconds).
        self.talk = EmpiricalDistribution(
            bin_seconds=1.0, bins=3600, prior_cdf=lognormal_cdf(150.0, 150.0), prior_weight=8.0, half_life=half_life
        )
        self.wrap = EmpiricalDistribution(
            bin_seconds=0.5, bins=1200, prior_cdf=lognormal_cdf(20.0, 15.0), prior_weight=8.0, half_life=half_life
        )
        # Time from Originate to a live answer, and to the end of dials that found nobody.
        self.live_ring = EmpiricalDistribution(
            bin_seconds=0.5, bins=240, prior_cdf=lognormal_cdf(9.0, 6.0), prior_weight=8.0, half_life=half_life
        )
        self.dead_ring = EmpiricalDistribution(
            bin_seconds=0.5, bins=240, prior_cdf=lognormal_cdf(15.0, 8.0), prior_weight=8.0, half_life=half_life
        )
        # Live answers per attempt forget faster: the answer rate drifts through the day.
        self.live_share = DecayedShare(prior_share=0.15, prior_weight=20.0, half_life=max(200.0, half_life / 3))
        self.amd_human_share = DecayedShare(prior_share=0.5, prior_weight=10.0, half_life=half_life)
        # How long AMD listens after the answer before its verdict (a person reaches the queue that much after
        # answering): a forgetting mean, None until a verdict with its duration was seen.
        self.amd_seconds: float | None = None
        self._amd_seconds_weight = 0.0
        # By hour of day and lead history (attempt number, previous outcome), around the recent rate above.
        self.answer_rates = AnswerRates(self.live_share)
        # Each agent's own talk and wrap-up (by the id the caller gives), shrunk toward the team's above.
        self.agent_talk: dict[str, ShrunkDistribution] = {}
        self.agent_wrap: dict[str, ShrunkDistribution] = {}
        # How late agents are against their "ready in N s" (seconds, shifted by READY_LATENESS_OFFSET).
        self.ready_lateness = EmpiricalDistribution(
            bin_seconds=0.5,
            bins=int(2 * (READY_LATENESS_OFFSET + READY_LATENESS_LATEST)),
            prior_cdf=normal_cdf(READY_LATENESS_OFFSET, READY_LATENESS_PRIOR_SD),
            prior_weight=READY_LATENESS_PRIOR_WEIGHT,
            half_life=500.0,
            refresh_every=50,
        )
        self.window = AbandonWindow(settings.window_seconds)
        self.controller = AbandonController()
        self.setpoint = effective_setpoint(settings)
        self.abandon_cap = settings.abandon_cap
        self.guard_quantile_z = settings.guard_quantile_z
        self.guard_lookahead_seconds = settings.guard_lookahead_seconds
        self.amd_false_positive_rate = settings.amd_false_positive_rate
        self.amd_false_positive_estimate = 0.0  # campaign to date
        self.live_answers_total = 0
        self.abandons_total = 0
        # Values derived from the above and memoised by the pacer (dialer.pacing.predictive.PredictiveTables).
        self.derived_cache: object | None = None

    def configure(self, settings: PacingSettings) -> None:
        """Apply changed campaign settings (setpoint, legal window length) without losing what was learned."""
        self.setpoint = effective_setpoint(settings)
        self.abandon_cap = settings.abandon_cap
        self.guard_quantile_z = settings.guard_quantile_z
        self.guard_lookahead_seconds = settings.guard_lookahead_seconds
        self.amd_false_positive_rate = settings.amd_false_positive_rate
        if settings.window_seconds != self.window.window_seconds:
            self.window = AbandonWindow(settings.window_seconds)

    def record_attempt(
        self, ring_seconds: float | None, live: bool, *, hour: int | None = None, history: LeadHistory | None = None
    ) -> LearntDial:
        """A dial's fate; ``hour`` (0–23: the called party's local hour it was placed in) and the lead's
        ``history`` feed the answer rate by hour and by lead history (:meth:`answer_rate`). Returns where it was
        learnt, for :meth:`retract_live_dial`. ``ring_seconds`` None: answered while nobody listened (the ring
        time unknown): its fate is learnt, no ring time."""
        at = self.answer_rates.add(live, hour, history)  # before the recent rate moves (its shrinkage target)
        self.live_share.add(live)
        if ring_seconds is not None:
            (self.live_ring if live else self.dead_ring).add(ring_seconds)
        return LearntDial(live, hour, history, self.live_share.samples, at)

    def retract_live_dial(self, dial: LearntDial) -> None:
        """A dial learnt as a live answer was an answering machine (an agent marked it after the call ended): the
        answer rates learn it as a dial nobody answered, at the weight it has now (the ring time stays learnt)."""
        if not dial.live:
            return
        self.live_share.retract_hit(dial.sample)
        self.answer_rates.retract_hit(dial.hour, dial.history, dial.rates_at)

    def answer_rate(self, hour: int | None = None, history: LeadHistory | None = None) -> float:
        """The expected live answers per dial of a dial placed in ``hour`` to a lead with ``history`` (either
        None: not known, the campaign's recent rate for it)."""
        if hour is None and history is None:
            return self.live_share.value
        return self.answer_rates.rate(hour, history)

    AGENT_MIN_SAMPLES = 30  # fewer of an agent's own handle times: the team's distributions

    def record_talk(self, seconds: float, agent: str | None = None) -> None:
        _record_handle_time(self.talk, self.agent_talk, seconds, agent, coarsen=10)

    def record_wrap(self, seconds: float, agent: str | None = None) -> None:
        _record_handle_time(self.wrap, self.agent_wrap, seconds, agent, coarsen=4)

    def record_ready_announcement(self, lateness: float) -> None:
        """An agent who announced "ready in N s" in wrap-up became free (ready, or taking a call) ``lateness`` s
        after the time they announced (negative: sooner). One who never became free (paused, logged out) is as
        late as this learns (``math.inf``)."""
        if math.isnan(lateness):
            raise ValueError("lateness must be a number of seconds")
        # (a hair under: a bin holds the lateness up to its upper edge, so "on time" reads as ≤ 0, not ≤ half a second)
        shifted = READY_LATENESS_OFFSET + lateness - 1e-6
        self.ready_lateness.add(min(max(0.0, shifted), READY_LATENESS_OFFSET + READY_LATENESS_LATEST + 1.0))

    def agent_handle(self, agent: str | None) -> tuple[ShrunkDistribution, ShrunkDistribution] | None:
        """The agent's own talk and wrap-up distributions, once both have a few samples (else None)."""
        if agent is None:
            return None
        talk, wrap = self.agent_talk.get(agent), self.agent_wrap.get(agent)
        if talk is None or wrap is None or min(talk.samples, wrap.samples) < self.AGENT_MIN_SAMPLES:
            return None
        return talk, wrap

    AMD_SECONDS_HALF_LIFE = 500.0  # verdicts

    def record_amd(self, human: bool, now: float | None = None, *, seconds: float | None = None) -> None:
        """An AMD verdict, ``seconds`` after the answer when known (the pacer then times a person's arrival in
        the queue after AMD, not at the answer). A machine verdict at ``now`` also enters the legal window and
        so the guard and the controller's target as ``amd_false_positive_rate`` estimated abandoned live answers
        (what the regime counts for the people AMD hangs up on; 0 where the regime does not count them).
        ``now=None`` records the share only."""
        self.amd_human_share.add(human)
        if seconds is not None and math.isfinite(seconds) and seconds >= 0.0:
            # A forgetting mean: the weight saturates at the half-life's worth of verdicts.
            w = self._amd_seconds_weight = min(self._amd_seconds_weight + 1.0, self.AMD_SECONDS_HALF_LIFE / math.log(2))
            self.amd_seconds = (
                seconds if self.amd_seconds is None else self.amd_seconds + (seconds - self.amd_seconds) / w
            )
        if not human and now is not None:
            self.record_estimated_abandon(now, self.amd_false_positive_rate)

    def amd_seconds_learnt(self) -> tuple[float | None, float]:
        """How long AMD listens (:attr:`amd_seconds`) and the weight of the verdicts behind it."""
        return self.amd_seconds, self._amd_seconds_weight

    def resume_amd_seconds(self, seconds: float, weight: float) -> None:
        """Start from what another learner's :meth:`amd_seconds_learnt` gave: ``seconds`` behind ``weight``
        verdicts (at most the forgetting mean's saturation)."""
        if not (math.isfinite(seconds) and seconds >= 0.0 and math.isfinite(weight) and weight > 0.0):
            raise ValueError(f"amd seconds {seconds} behind weight {weight}")
        self.amd_seconds = seconds
        self._amd_seconds_weight = min(weight, self.AMD_SECONDS_HALF_LIFE / math.log(2))

    def record_estimated_abandon(self, now: float, weight: float) -> None:
        """``weight`` estimated abandoned live answers (the AMD false-positive estimate of one machine verdict): into
        the legal window, and so the guard and the controller's target (:meth:`controller_setpoint`), exactly as
        the compliance report counts them."""
        if weight <= 0.0:
            return
        self.window.add(now, True, weight)
        self.amd_false_positive_estimate += weight

    def window_setpoint(
        self, live: float | None = None, variance: float | None = None, *, scatter: float = 1.0
    ) -> float:
        """What the window's *estimated* rate (AMD false positives at their estimate) is held at: ``setpoint``
        less the scatter of the true count behind the window's estimated abandons, and never closer to the cap
        than ``scatter`` times the controller's own scatter, ``1 ÷ gain`` abandons (:class:`AbandonController`;
        ``YOUNG_WINDOW_SCATTER`` for a window that only grows, :meth:`marginal_window_setpoint`). ``live`` and
        ``variance``: the window's live answers and estimated variance (default: the window's now).

        With ``X`` people hung up on as machines (estimated ``X̂``, variance ``V`` = ``window.estimated_variance``),
        the true rate ``(Q + X) ÷ (L + X)`` stays at or under the cap while ``Q + (1 − cap) X ≤ cap L``: at the
        guard's quantile ``X = X̂ + z √V`` the estimated rate must sit ``s = (1 − cap) z √V ÷ L`` lower, a margin
        added in quadrature to the setpoint's own (``cap − setpoint``).

        The controller holds a window's abandons at its targets' sum ``− Δx ÷ gain``: within ``1 ÷ gain``
        abandons or so (its level moving by one in logit) of it, whatever the window's size. The setpoint's
        margin (``cap − setpoint``, 0.3 points) is ``k`` (``scatter``) times that many abandons only once the
        window holds ``k ÷ (gain × margin)`` live answers (2 200 for k = 1); a smaller window (the campaign's first
        hours: the windows holding its start; a small team's whole 24 h) keeps ``k ÷ gain`` abandons of room
        instead (half its budget while it holds fewer than ``2k ÷ (gain × cap)``) — otherwise the guard, whose
        one abandon of room is per decision, is all that stands between thousands of decisions and the cap
        (docs/benchmarks.md §1.6).

        With AMD estimates the margins are two independent scatters, the controller's (the larger of ``cap −
        setpoint`` and the young window's) and the true count's behind the estimates (``s``), so they add in
        quadrature: the window sits ``hypot(max(cap − setpoint, young), s)`` under the cap. The guard still takes
        ``s`` whole, so an excursion of the controller beyond the joint margin meets the guard, not the cap. Added
        whole (the margin before: ``s + young`` in a young window) they left a young AMD window further under the
        cap than either scatter needs: 0.35 points of occupancy at uk-amd-fp over 15 seeds, no seed down by more
        than its noise, no more decisions held by the guard (docs/benchmarks.md §1.18). Without estimates (``s`` =
        0) the margin is the larger of the two, as before."""
        window = self.window
        live = window.live_answers if live is None else live
        variance = window.estimated_variance if variance is None else variance
        if live <= 0.0:
            return self.setpoint
        s = 0.0
        if variance > 0.0:
            s = (1.0 - self.abandon_cap) * self.guard_quantile_z * math.sqrt(variance) / live
        queue_margin = max(0.0, self.abandon_cap - self.setpoint)
        young = min(scatter / (self.controller.gain * live), self.abandon_cap / 2.0)
        cushion = math.hypot(max(queue_margin, young), s) - s
        return max(0.0, self.abandon_cap - s - cushion)

    def window_growing(self, now: float) -> bool:
        """Nothing leaves the window within the guard's look-ahead: it only grows (the campaign's first 24 h, or
        its first hours after a day off)."""
        return self.window.live_answers > 0.0 and self.window.leaving(now, self.guard_lookahead_seconds)[0] <= 0.0

    def machine_verdicts_per_live_answer(self) -> float:
        """AMD machine verdicts per human one, as measured (``amd_human_share``): what a live answer to come brings
        with it in machine verdicts."""
        human = self.amd_human_share.value
        return (1.0 - human) / max(human, 0.01)

    def marginal_false_positive_share(self) -> float:
        """``φ``: the share of the window's next live answers that are AMD false-positive estimates — what the next
        answers add, not the window's average. Each live answer to come brings
        :meth:`machine_verdicts_per_live_answer` machine verdicts, each counted as the regime and the compliance
        report count one (:func:`dialer.calls.outcome.count_answer`: the campaign's false-positive rate ``f`` in
        both the abandons and the live answers, :meth:`record_amd`): ``e = m f`` estimated abandons per answer,
        ``φ = e ÷ (1 + e)`` of the window's growth. 0 without a false-positive rate."""
        f = self.amd_false_positive_rate
        if f <= 0.0:
            return 0.0
        e = self.machine_verdicts_per_live_answer() * f
        return e / (1.0 + e)

    def marginal_window_setpoint(self, now: float | None = None) -> float:
        """The rate the window's next live answers are held at, so the window as a whole keeps
        :meth:`window_setpoint`: that target itself, unless the window only grows (nothing leaves it: the
        windows holding the campaign's start), where it is the growth of the window's target abandons
        ``T(L) = L × window_setpoint(L)`` per live answer — the controller holds a sum of its targets, so aiming the
        answers still to come at the window's average as it rises would leave the early deficit in the window
        for good (about ``ln L ÷ gain`` abandons: −0.4 points of occupancy at n10). A growing window keeps
        ``YOUNG_WINDOW_SCATTER`` times the controller's scatter: its abandons are the controller's targets'
        sum less its level's whole change since the campaign's first guess, not since a day ago. The estimated
        variance grows with the window (``V ∝ L``).

        The growth target presumes the window at its target. Estimated abandons (AMD false positives), which no
        pacing decision avoids, can hold it above: while their share of the window's growth exceeds the target's
        (a young window's target is low), the queue's own target sits at its floor and cannot offset them. The
        window's excess over its target, as far as its estimates explain it (``min(E, A − T(L))``, ``A`` its
        abandons, ``E`` their estimated part), is taken off the next answers' growth over the same step (5 % of
        the window): aimed at the growth alone the excess stayed in the window for good, which then ran along the
        guard's line (uk-amd-fp: −1.55 points of occupancy, the guard's holds doubled; docs/benchmarks.md §1.6,
        §1.7). Without estimates (``E`` = 0) the growth target as it was."""
        window = self.window
        live = window.live_answers
        if now is None or not self.window_growing(now):
            return self.window_setpoint()
        step = 1.0 + 0.05 * live
        variance = window.estimated_variance
        k = YOUNG_WINDOW_SCATTER
        target = live * self.window_setpoint(scatter=k)
        grown = (live + step) * self.window_setpoint(live + step, variance * (live + step) / live, scatter=k)
        excess = max(0.0, min(window.estimated, window.abandons - target))
        return max(0.0, min(self.abandon_cap, (grown - target - excess) / step))

    def controller_setpoint(self, now: float | None = None) -> float:
        """The abandon share the controller holds the queue's own live answers at: with ``φ`` the share of the
        window's next live answers that are estimated abandons (AMD false positives, which no pacing decision causes
        or avoids: :meth:`marginal_false_positive_share`), the queue's ``(S − φ) ÷ (1 − φ)`` puts the window's next
        answers at ``S`` = :meth:`marginal_window_setpoint` (``now``: when the pacer looks; None:
        :meth:`window_setpoint`). Both are what the next answers add: a target for the window's growth against the
        window's average estimate would be wrong wherever the two differ.

        The estimates enter the controller through this target rather than as abandons of their own: a level
        pushed down by abandons no call could have avoided winds up, and would still be climbing back hours
        after a young window (where ``S`` sits under ``φ``) has grown. Never below a thirtieth of the setpoint
        (a young window is the guard's)."""
        phi = min(0.99, self.marginal_false_positive_share())
        return max(self.setpoint / 30.0, (self.marginal_window_setpoint(now) - phi) / (1.0 - phi))

    def controller_level(self, now: float | None = None) -> float:
        """The abandon-risk threshold the pacer applies: the controller's level scaled by its target's share of
        the setpoint (:meth:`controller_setpoint`). A marginal call's risk sits near the average abandon rate,
        so when AMD false-positive estimates take most of the window's budget the level starts where the queue's
        small target puts it, and follows that target as a young window grows, while the controller learns only
        how far the predictions are off (no hours of winding down, then up)."""
        return min(0.9, self.controller.level * self.controller_setpoint(now) / self.setpoint)

    def record_live_answer(self, now: float, abandoned: bool, *, placed_predictively: bool = True) -> None:
        """A live person answered; ``abandoned`` if no agent reached them in time.

        Only calls placed by the predictive rule move the controller (progressive calls never abandon and
        would wind it up).
        """
        self.window.add(now, abandoned)
        self.live_answers_total += 1
        self.abandons_total += int(abandoned)
        if placed_predictively:
            self.controller.update(abandoned, self.controller_setpoint(now))

    def retract_live_answer(self, at: float) -> None:
        """The live answer recorded at ``at`` was an answering machine (the agent marked it): out of the legal
        window, as the reports count it (the controller keeps what it learnt: a connected call was no abandon)."""
        if self.window.retract(at):
            self.live_answers_total = max(0, self.live_answers_total - 1)

    @property
    def handle_samples(self) -> int:
        return min(self.talk.samples, self.wrap.samples)
