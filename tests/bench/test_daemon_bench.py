"""The daemon benchmark's world sizing (the run itself is `dialer bench daemon`, not a test)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dialer.bench.daemon import (
    TALK_MEAN,
    WRAP_MEAN,
    DaemonBenchPlan,
    bench_database,
    bench_settings,
    campaign_config,
    percentile,
    prepare,
    scenario_toml,
    write_toml,
)
from dialer.campaign.samples import write_sample_csv
from dialer.pacing.stats import PacingStats
from dialer.runner.learning import SEED_DIALS, learn_from_records
from dialer.sim.model import load_scenario
from dialer.store.campaigns import get_campaign
from dialer.store.engine import open_database
from dialer.store.migrate import upgrade
from dialer.store.runtime import answer_history, dial_history
from dialer.store.status import lead_status


@pytest.mark.parametrize(("calls", "agents"), [(2000, 200), (1000, 100), (300, 40)])
def test_world_keeps_half_the_agents_busy_at_the_target(calls: int, agents: int) -> None:
    plan = DaemonBenchPlan(calls=calls, agents=agents)
    p = plan.answer_probability()
    dialling = plan.power_ratio * agents / 2
    busy = dialling / plan.dial_life_seconds(p) * p * (TALK_MEAN + WRAP_MEAN)
    assert busy == pytest.approx(agents / 2, rel=0.01)
    assert dialling == pytest.approx(0.9 * calls, rel=0.01)


def test_power_ratio_stays_within_the_campaign_limit() -> None:
    plan = DaemonBenchPlan(calls=5000, agents=100)  # would need 100:1
    assert plan.power_ratio == 20.0
    assert campaign_config(plan).pacing.power_ratio == 20.0


def test_scenario_file_is_a_valid_sim_pbx_world(tmp_path: Path) -> None:
    plan = DaemonBenchPlan()
    path = tmp_path / "world.toml"
    write_toml(scenario_toml(plan), path)
    scenario = load_scenario(path)
    assert scenario.outbound.answer_probability.at(0) == pytest.approx(plan.answer_probability(), abs=1e-4)
    assert scenario.outbound.ring_timeout_seconds < campaign_config(plan).ring_timeout_seconds


def test_percentile_picks_the_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) in (50.0, 51.0)
    assert percentile(values, 0.99) == 99.0
    assert percentile([], 0.5) != percentile([], 0.5)  # NaN when nothing was measured


def test_steady_part_starts_after_the_first_wave_of_ring_outs() -> None:
    assert DaemonBenchPlan(seconds=180).warmup > 58
    assert DaemonBenchPlan(seconds=120).warmup > 58
    assert DaemonBenchPlan(seconds=30).warmup < 30  # a short run still has a steady part
    assert DaemonBenchPlan(seconds=120, warmup_seconds=10).warmup == 10


async def test_bench_database_is_a_fresh_sqlite_file_by_default(tmp_path: Path) -> None:
    async with bench_database(DaemonBenchPlan(), tmp_path) as (url, schema):
        assert url == f"sqlite+aiosqlite:///{tmp_path / 'bench.db'}"
        assert schema is None


@pytest.mark.postgres
async def test_bench_database_on_postgresql_is_a_schema_dropped_after_the_run(tmp_path: Path) -> None:
    pg_url = os.environ.get("DIALER_TEST_PG_URL")
    if not pg_url:
        pytest.skip("DIALER_TEST_PG_URL not set")
    async with bench_database(DaemonBenchPlan(pg_url=pg_url), tmp_path) as (url, schema):
        assert url == pg_url
        assert schema is not None
        async with open_database(url, pg_schema=schema) as db:
            await upgrade(db)
            assert await schema_exists(url, schema)
    assert not await schema_exists(url, schema)


async def schema_exists(url: str, schema: str) -> bool:
    async with open_database(url) as db, db.read() as conn:
        found = await conn.exec_driver_sql(f"SELECT 1 FROM information_schema.schemata WHERE schema_name = '{schema}'")
        return found.first() is not None


async def test_the_campaign_has_a_morning_behind_it_a_loaded_runner_reads(tmp_path: Path) -> None:
    """The bench measures a daemon mid-day: the legal window it seeds holds the morning's live answers (1 % of
    them abandoned), and the answer rate its pacer learns from the records is the world's, not the 15 % prior (a
    power campaign on an empty window or the prior's rate stays progressive for the whole run)."""
    plan = DaemonBenchPlan(calls=200, agents=20, leads=8000)
    now = datetime.now(UTC)
    leads_csv = tmp_path / "leads.csv"
    write_sample_csv(leads_csv, plan.leads, seed=plan.seed, bad_rows=False)
    settings = bench_settings(tmp_path, 5038, f"sqlite+aiosqlite:///{tmp_path / 'bench.db'}", max_channels=300)
    prepared = await prepare(settings, plan, leads_csv, now, None)
    config = campaign_config(plan)
    async with open_database(settings.database_url) as db:
        campaign = await get_campaign(db, config.name)
        since = now - config.abandon_window
        answers = await answer_history(db, campaign.id, since, config.abandon_rules)
        counted = [o.value for o, rule in config.retry.items() if rule.counts]
        dials = await dial_history(db, campaign.id, since, SEED_DIALS, counted)
        left = (await lead_status(db, config, campaign.id, now)).by_status["new"]
    history = plan.history(now)
    assert prepared["history_calls"] >= len(dials) == min(SEED_DIALS, prepared["history_calls"])
    assert len(answers) == history.live_answers
    assert sum(1 for _, count in answers if count.abandoned >= 1.0) == history.abandons
    stats = PacingStats()
    learn_from_records(stats, config, dials, [])
    assert abs(stats.live_share.value - plan.answer_probability()) < 0.01
    assert left >= plan.leads * 3 // 4 - 10  # the run still has most of the leads to dial
