"""The floor publisher's outage log (dialer.web.live.Outage, pure; the clock the caller's): the database away, the
first failure is logged, then at most one line a minute however often the period retries, and the recovery once,
with how long the outage lasted; a new outage starts afresh."""

from __future__ import annotations

from dialer.web.live import FLOOR_PUBLISH_SECONDS, OUTAGE_LOG_SECONDS, Outage


def test_an_outage_logs_its_first_failure_one_line_a_minute_and_its_end() -> None:
    outage = Outage()
    assert outage.recovered(0.0) is None  # nothing was wrong: nothing to say

    periods = [100.0 + i * FLOOR_PUBLISH_SECONDS for i in range(100)]  # 200 s of failures, one every period
    logged = [at for at in periods if outage.failed(at)]
    assert logged == [100.0, 160.0, 220.0, 280.0]
    assert (outage.began, outage.failures) == (100.0, 100)

    assert outage.recovered(300.0) == (200.0, 100)  # how long it lasted, how many periods failed
    assert outage.recovered(302.0) is None  # said once

    assert outage.failed(400.0)  # a new outage: its first failure is logged at once
    assert not outage.failed(400.0 + OUTAGE_LOG_SECONDS - 1)
    assert outage.failed(400.0 + OUTAGE_LOG_SECONDS)
    assert outage.recovered(500.0) == (100.0, 3)


def test_the_interval_is_the_callers() -> None:
    outage = Outage(every=10.0)
    assert [at for at in (0.0, 5.0, 10.0, 15.0, 20.0) if outage.failed(at)] == [0.0, 10.0, 20.0]
