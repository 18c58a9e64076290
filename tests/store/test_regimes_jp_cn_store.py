"""JP and CN presets end to end in the store and the CLI: a JP "refused" disposition takes the lead out for good
(the claim never hands it out again, a re-import of the number is scrubbed); a CN lead without recorded consent is
never claimed and `dialer leads status` names the reason; `dialer campaign apply` refuses a bad CN caller ID."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from harness.campaign import stored_campaign
from harness.cli import run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update
from typer.testing import CliRunner

from dialer.calls.outcome import Outcome
from dialer.campaign.config import CampaignConfig, load_campaign
from dialer.campaign.rules import ConsentRequired
from dialer.store import Database
from dialer.store.attempts import AttemptEnd, AttemptStart, start_attempt
from dialer.store.console import create_callback
from dialer.store.dnc import check_dnc
from dialer.store.ivrcallback import Booked, book_caller_callback
from dialer.store.leads import (
    NewLead,
    find_leads_by_phone,
    get_lead,
    insert_new_leads,
    lacks_consent_or_request,
    snapshot,
)
from dialer.store.lifecycle import claim_dialable, record_disposition, record_outcome
from dialer.store.status import lead_status
from dialer.store.tables import callbacks_t, leads_t

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 11:00 Tokyo, 10:00 Shanghai
TOKYO, SHANGHAI = "Asia/Tokyo", "Asia/Shanghai"

JP_TOML = """
name = "jp-sales"
queue = "sales"
trunk = "PJSIP/{number}@carrier"
regime = "JP"
caller_id = { number = "03-1234-5678", name = "Yamada" }
script = "山田商事の{{ agent }}と申します。住宅保険について、営業のお電話です。"
[identification]
business_name = "山田商事"
product = "住宅保険"
solicitation = "営業のお電話です"
"""
CN_TOML = """
name = "cn-sales"
queue = "sales"
trunk = "PJSIP/{number}@carrier"
regime = "CN"
caller_id = { number = "010 6552 9988" }
"""


def campaign(toml_text: str) -> CampaignConfig:
    import tomllib

    return load_campaign(tomllib.loads(toml_text))


async def setup(db: Database, cfg: CampaignConfig, leads: list[NewLead]) -> int:
    cid = await stored_campaign(db, cfg, NOW)
    async with db.write() as conn:
        await insert_new_leads(conn, cid, None, leads, NOW)
    return cid


def new(phone: str, zone: str, **kw: object) -> NewLead:
    return NewLead(phone=phone, status="new", next_dialable_at=NOW - timedelta(minutes=1), tz_candidates=[zone], **kw)  # type: ignore[arg-type]


async def test_jp_refused_lead_is_never_claimed_again(db: Database) -> None:
    cfg = campaign(JP_TOML)
    cid = await setup(db, cfg, [new("+819012345678", TOKYO, alt_phones=["+81312349999"])])
    (claimed,) = (await claim_dialable(db, cfg, campaign_id=cid, owner="r", limit=1, now=NOW)).leads
    attempt = await start_attempt(
        db, AttemptStart(lead_id=claimed.id, campaign_id=cid, phone=claimed.phone, started_at=NOW)
    )
    await record_disposition(db, cfg, attempt, "refused", NOW, agent="sato")
    # A late hangup, then days, months and a year later: never claimed.
    await record_outcome(db, cfg, attempt, Outcome.CONNECTED, AttemptEnd(ended_at=NOW + timedelta(seconds=30)))
    for later in (timedelta(0), timedelta(days=1), timedelta(days=90), timedelta(days=400)):
        batch = await claim_dialable(db, cfg, campaign_id=cid, owner="r", limit=10, now=NOW + later)
        assert batch.leads == []
    stored = await get_lead(db, claimed.id)
    assert stored is not None
    assert stored.status == "dnc"
    for number in ("+819012345678", "+81312349999"):
        assert [e.campaign for e in await check_dnc(db, number)] == ["jp-sales"]


async def test_cn_lead_without_consent_is_never_claimed_and_status_says_why(db: Database) -> None:
    cfg = campaign(CN_TOML)
    consent = {"consent_source": "官网表单 2026-01", "consent_at": NOW - timedelta(days=30)}
    cid = await setup(
        db,
        cfg,
        [
            new("+8613800138000", SHANGHAI),  # no consent
            new("+8613800138001", SHANGHAI, consent_source="官网表单"),  # source without time
            new("+8613800138002", SHANGHAI, **consent),
        ],
    )
    status = await lead_status(db, cfg, cid, NOW)
    assert status.not_dialable.get("no_consent") == 2
    assert status.sample_reasons.get("no_consent") == 2
    claimed = [
        lead.phone for lead in (await claim_dialable(db, cfg, campaign_id=cid, owner="r", limit=10, now=NOW)).leads
    ]
    assert claimed == ["+8613800138002"]
    for later in (timedelta(days=1), timedelta(days=2), timedelta(days=30)):
        again = await claim_dialable(db, cfg, campaign_id=cid, owner="r2", limit=10, now=NOW + later)
        assert [lead.phone for lead in again.leads] == []


async def test_cn_claims_the_callback_a_caller_asked_for_and_nothing_else(db: Database) -> None:
    """MIIT's "consent or request": a caller who asks the IVR to call back is called back, once; the lead is not
    given consent by it, and any other call needs consent again."""
    cfg = campaign(CN_TOML)
    cid = await setup(db, cfg, [new("+8613800138000", SHANGHAI), new("+8613800138005", SHANGHAI)])
    assert (await lead_status(db, cfg, cid, NOW)).not_dialable.get("no_consent") == 2
    # One of them calls in and asks to be called back; another caller, with no lead yet, too (due in 5 minutes).
    due = NOW + timedelta(minutes=5)
    known = await book_caller_callback(db, "cn-sales", "138 0013 8005", due, None, NOW, source="ivr flow 回拨")
    fresh = await book_caller_callback(db, "cn-sales", "13800138009", due, None, NOW, source="ivr flow 回拨")
    assert isinstance(known, Booked)
    assert isinstance(fresh, Booked)
    assert fresh.new_lead
    stored = await get_lead(db, known.lead_id)
    assert stored is not None
    assert (stored.consent_source, stored.consent_at) == (None, None)  # a request is no consent
    assert (stored.requested_callback_source, stored.requested_callback_at) == ("ivr flow 回拨", NOW)
    assert stored.requested_callback_due == due
    status = await lead_status(db, cfg, cid, NOW)
    assert status.not_dialable.get("no_consent") == 1  # only the lead nobody asked a call for
    assert status.by_status.get("callback") == 2
    # Due: the claim takes the two requested callbacks, never the lead without consent.
    assert (await claim_dialable(db, cfg, campaign_id=cid, owner="r", limit=10, now=NOW)).leads == []
    batch = await claim_dialable(db, cfg, campaign_id=cid, owner="r", limit=10, now=due)
    assert sorted(lead.id for lead in batch.leads) == sorted([known.lead_id, fresh.lead_id])
    # Dialled, no answer: the promise is kept; a retry would be a call nobody asked for.
    for lead in batch.leads:
        attempt = await start_attempt(
            db, AttemptStart(lead_id=lead.id, campaign_id=cid, phone=lead.phone, started_at=due)
        )
        await record_outcome(db, cfg, attempt, Outcome.NO_ANSWER, AttemptEnd(ended_at=due + timedelta(seconds=30)))
    for later in (timedelta(hours=1), timedelta(days=1), timedelta(days=3)):
        again = await claim_dialable(db, cfg, campaign_id=cid, owner="r2", limit=10, now=NOW + later)
        assert again.leads == []
    assert (await lead_status(db, cfg, cid, NOW + timedelta(days=3))).not_dialable.get("no_consent") == 3
    (after,) = await find_leads_by_phone(db, cid, "+8613800138005")
    assert (after.status, after.consent_source) == ("retry", None)


async def sql_and_rules_agree(db: Database, cfg: CampaignConfig, cid: int) -> dict[int, bool]:
    """May the campaign's leads be dialled under its consent rule, lead by lead, as `lacks_consent_or_request` (SQL)
    reads it -- asserted the same as `LeadSnapshot.has_consent_or_request` (the rules) reads it."""
    async with db.read() as conn:
        ids = list((await conn.execute(select(leads_t.c.id).where(leads_t.c.campaign_id == cid))).scalars())
        lacking = set(
            (await conn.execute(select(leads_t.c.id).where(leads_t.c.campaign_id == cid, lacks_consent_or_request())))
            .scalars()
            .all()
        )
    verdicts: dict[int, bool] = {}
    for lead_id in ids:
        stored = await get_lead(db, lead_id)
        assert stored is not None
        verdicts[lead_id] = snapshot(stored, cfg.name).has_consent_or_request
        assert (lead_id in lacking) is not verdicts[lead_id], stored
    return verdicts


async def test_the_sql_reads_consent_or_request_as_the_rules_do(db: Database) -> None:
    """`lacks_consent_or_request` (the lead status counts) and `LeadSnapshot.has_consent_or_request` (the claim's
    rules) agree, lead by lead (and on leads whose callbacks were booked through the store: below)."""
    cfg = campaign(CN_TOML)
    due = NOW + timedelta(minutes=5)
    asked = {"requested_callback_source": "ivr flow 回拨", "requested_callback_at": NOW, "requested_callback_due": due}
    variants: list[dict[str, object]] = [
        {},
        {"consent_source": "官网表单", "consent_at": NOW},
        {"consent_source": " ", "consent_at": NOW},
        {"status": "callback", "callback_at": due, **asked},
        {"status": "callback", "callback_at": due + timedelta(hours=1), **asked},  # another callback
        {"status": "callback", "callback_at": due - timedelta(minutes=4), **asked},  # another, sooner
        {"status": "retry", "callback_at": due, **asked},  # dialled: no callback any more
        {"status": "callback", "callback_at": due, **asked, "requested_callback_source": ""},
        {"status": "callback", "callback_at": due, **asked, "requested_callback_at": None},
        {"status": "callback", "callback_at": due},  # an agent's callback
    ]
    cid = await setup(db, cfg, [new(f"+86138001381{i:02d}", SHANGHAI) for i in range(len(variants))])
    async with db.write() as conn:
        ids = list((await conn.execute(select(leads_t.c.id).where(leads_t.c.campaign_id == cid))).scalars())
        for lead_id, values in zip(sorted(ids), variants, strict=True):
            if values:
                await conn.execute(update(leads_t).where(leads_t.c.id == lead_id).values(**values))
    verdicts = await sql_and_rules_agree(db, cfg, cid)
    assert sum(verdicts.values()) == 2  # consent, and the requested callback itself


@pytest.mark.parametrize("agent_first", [True, False], ids=["agent booked first", "caller asked first"])
async def test_cn_the_callers_request_is_dialled_at_its_time_though_an_agent_booked_a_sooner_callback(
    db: Database, agent_first: bool
) -> None:
    """Without consent the lead may be dialled for the callback its caller asked for only: an agent's booking, sooner,
    does not hide it (the lead waits for the request), and is never dialled for itself. Before the caller asked, an
    agent's booking on that lead is refused (it would never be dialled)."""
    cfg = campaign(CN_TOML)
    tuesday, thursday = NOW + timedelta(days=1), NOW + timedelta(days=3)
    with_consent = new("+8613800138006", SHANGHAI, consent_source="官网表单", consent_at=NOW - timedelta(days=9))
    cid = await setup(db, cfg, [new("+8613800138005", SHANGHAI), with_consent])
    for number in ("13800138005", "13800138006"):
        (stored,) = await find_leads_by_phone(db, cid, f"+86{number}")

        async def agent_books(lead_id: int = stored.id) -> None:
            assert await create_callback(db, lead_id, tuesday, "li", "agent", NOW) is not None

        async def caller_asks(phone: str = number) -> None:
            asked = await book_caller_callback(db, "cn-sales", phone, thursday, "caller", NOW, source="ivr flow 回拨")
            assert isinstance(asked, Booked)
            assert asked.due_at == thursday

        unconsented_lead = number == "13800138005"
        if agent_first and unconsented_lead:  # neither consent nor a request yet: a callback never dialled, refused
            with pytest.raises(ConsentRequired):
                await agent_books()
        agent_before = agent_first and not unconsented_lead
        for book in (agent_books, caller_asks) if agent_before else (caller_asks, agent_books):
            await book()
    unconsented, consented = [await get_lead(db, i) for i in sorted(await sql_and_rules_agree(db, cfg, cid))]
    assert unconsented is not None
    assert consented is not None
    # Without consent the lead waits for the caller's request; with consent, for the soonest (the agent's).
    assert (unconsented.status, unconsented.callback_at, unconsented.callback_agent) == ("callback", thursday, None)
    assert (consented.status, consented.callback_at, consented.callback_agent) == ("callback", tuesday, "li")
    assert (await sql_and_rules_agree(db, cfg, cid)) == {unconsented.id: True, consented.id: True}
    # Tuesday: only the lead with consent is dialled (for the agent's callback).
    tuesdays = await claim_dialable(db, cfg, campaign_id=cid, owner="r", limit=10, now=tuesday, agents=["li"])
    assert [lead.id for lead in tuesdays.leads] == [consented.id]
    # Thursday: the caller's request is dialled at the time they were given.
    (claimed,) = (await claim_dialable(db, cfg, campaign_id=cid, owner="r", limit=10, now=thursday)).leads
    assert claimed.id == unconsented.id
    attempt = await start_attempt(
        db, AttemptStart(lead_id=claimed.id, campaign_id=cid, phone=claimed.phone, started_at=thursday)
    )
    c = callbacks_t.c
    async with db.read() as conn:
        rows = (
            await conn.execute(
                select(c.notes, c.state, c.kept_by).where(c.lead_id == unconsented.id).order_by(c.due_at)
            )
        ).all()
    # The call keeps the request, and the agent's callback too, due since Tuesday (as any call after its due time).
    assert [tuple(row) for row in rows] == [("agent", "done", attempt), ("caller", "done", attempt)]
    await record_outcome(db, cfg, attempt, Outcome.NO_ANSWER, AttemptEnd(ended_at=thursday + timedelta(seconds=30)))
    # Nothing pending, no consent: never dialled again.
    assert (await sql_and_rules_agree(db, cfg, cid))[unconsented.id] is False
    later = await claim_dialable(db, cfg, campaign_id=cid, owner="r", limit=10, now=thursday + timedelta(days=1))
    assert unconsented.id not in [lead.id for lead in later.leads]


# -- the CLI ------------------------------------------------------------------------------------------------------


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    number=st.sampled_from(
        ["+1 202 555 0100", "+81 3 1234 5678", "400 810 8888", "800 810 8888", "anonymous", "12345", "+44 20 7946 0000"]
    )
)
def test_campaign_apply_refuses_a_bad_cn_caller_id(cli: CliRunner, tmp_path: Path, number: str) -> None:
    bad = tmp_path / "cn-bad.toml"
    bad.write_text(CN_TOML.replace("010 6552 9988", number), encoding="utf-8")
    code, _, err = run(cli, "campaign", "apply", str(bad))
    assert code == 1
    assert "caller_id" in err
    assert run(cli, "db", "upgrade")[0] == 0  # (a read-only command creates no database: test_cli_no_database)
    assert json.loads(run(cli, "campaign", "list", "--json")[1]) == []


def test_cn_csv_import_with_consent_columns_and_leads_status(cli: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "cn.toml"
    path.write_text(CN_TOML, encoding="utf-8")
    assert run(cli, "campaign", "apply", str(path))[0] == 0
    leads = tmp_path / "cn.csv"
    leads.write_text(
        "姓名,手机号,同意来源,同意时间\n王 伟,138 0013 8000,官网表单,2026-01-05 10:00\n李 娜,138 0013 8001,,\n",
        encoding="gb18030",
    )
    code, out, err = run(cli, "leads", "import", "--campaign", "cn-sales", str(leads))
    assert code == 0, err
    assert json.loads(out)["imported"] == 2
    code, out, _ = run(cli, "leads", "status", "--campaign", "cn-sales", "--json")
    assert json.loads(out)["not_dialable"]["no_consent"] == 1
    code, out, _ = run(cli, "leads", "status", "--campaign", "cn-sales")
    assert "no_consent" in out


def test_cli_human_output_in_the_languages_and_user_preferences(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "cn.toml"
    path.write_text(CN_TOML, encoding="utf-8")
    monkeypatch.setenv("DIALER_LANG", "zh-CN")
    code, out, _ = run(cli, "campaign", "apply", str(path))
    assert code == 0
    assert out.startswith("已创建活动 cn-sales")
    monkeypatch.setenv("DIALER_LANG", "")
    monkeypatch.setenv("LANG", "ja_JP.UTF-8")
    code, out, _ = run(cli, "leads", "status", "--campaign", "cn-sales")
    assert "キャンペーン cn-sales: リード 0 件" in out
    code, _, err = run(cli, "leads", "status", "--campaign", "nope")
    assert code == 1
    assert err.startswith("エラー: ")
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert run(cli, "campaign", "apply", str(path))[1].strip() == "campaign cn-sales is unchanged"
    assert run(cli, "user", "add", "yamada", "--role", "manager", "--password", "long-enough-1")[0] == 0
    code, out, _ = run(cli, "user", "prefs", "yamada", "--language", "ja", "--timezone", "Asia/Tokyo")
    assert (code, out.strip()) == (0, "user yamada: language ja, time zone Asia/Tokyo")
    assert run(cli, "user", "prefs", "yamada", "--language", "fr")[0] == 1
    (listed,) = json.loads(run(cli, "user", "list", "--json")[1])
    assert (listed["language"], listed["timezone"]) == ("ja", "Asia/Tokyo")
