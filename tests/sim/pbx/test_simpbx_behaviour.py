"""The simulated PBX as the daemon meets it: login, sessions, the shipped dialplan's flows, queues, inbound,
time, seeds, ground truth, crashes."""

from __future__ import annotations

from dataclasses import replace

import pytest
from simpbx_flows import (
    BUSY,
    LIVE,
    add_agent,
    clock_of,
    queued_behind_a_paused_agent,
    run,
    send_originate,
    until,
    user_events,
)
from simpbx_helpers import originate, pbx_session, scenario

from dialer.calls.outcome import Outcome
from dialer.clock import ManualClock
from dialer.sim.pbx import PbxConfig, SimulatedPbx
from dialer.sim.pbx.probe import AmiProbe

# ------------------------------------------------------------------ login and sessions


async def test_actions_before_login_are_refused_and_a_bad_secret_closes_after_a_second() -> None:
    clock = ManualClock()
    async with SimulatedPbx(PbxConfig(), clock=clock) as pbx, AmiProbe.connect(pbx.port) as ami:
        await ami.send("Ping", ActionID="p")
        assert (await ami.response("p")).get("Message") == "Permission denied"
        assert ami.banner == "Asterisk Call Manager/11.0.0"
        await ami.send("Login", Username="dialer", Secret="wrong", ActionID="l")
        with pytest.raises(TimeoutError):
            await ami.response("l", within=0.1)
        await clock.advance(1.0)
        assert (await ami.response("l")).get("Message") == "Authentication failed"
        await ami.drain()
        assert ami.eof
        assert pbx.truth.failed_logins == 1


async def test_login_ping_logoff() -> None:
    async with pbx_session() as (pbx, ami):
        events = [m.name for m in ami.received if m.is_event]
        assert events[:2] == ["FullyBooted", "SuccessfulAuth"]
        await ami.send("Ping", ActionID="p")
        pong = await ami.response("p")
        assert pong.get("Ping") == "Pong"
        assert float(pong.get("Timestamp") or 0) == pytest.approx(clock_of(pbx).now())
        await ami.send("Logoff", ActionID="bye")
        assert (await ami.response("bye")).get("Message") == "Thanks for all the fish."
        await ami.drain()
        assert ami.eof


async def test_each_session_has_its_own_event_stream() -> None:
    async with pbx_session(BUSY) as (pbx, first):
        second = await AmiProbe.open(pbx.port)
        quiet = await AmiProbe.open(pbx.port)
        try:
            await second.login()
            await quiet.login()
            await quiet.send("Events", EventMask="off", ActionID="off")
            assert (await quiet.response("off")).get("Events") == "Off"
            repeated, named = originate("5550002", "1")
            await first.send("Originate", *repeated, **named)
            await run(pbx, first, 5)
            await second.drain()
            await quiet.drain()
            # The response goes to the sender only; the call's events to every listening session.
            assert any(m.is_response and m.action_id == "orig-1" for m in first.received)
            assert not any(m.is_response and m.action_id == "orig-1" for m in second.received)
            first_calls = [m.name for m in first.received if m.name in ("Newchannel", "Hangup", "OriginateResponse")]
            second_calls = [m.name for m in second.received if m.name in ("Newchannel", "Hangup", "OriginateResponse")]
            assert first_calls == second_calls
            assert len(first_calls) == 5
            assert not [m for m in quiet.received if m.name in ("Newchannel", "Hangup", "OriginateResponse")]
        finally:
            await second.close()
            await quiet.close()


async def test_production_read_classes_drop_the_dialplan_flood() -> None:
    async with pbx_session(replace(LIVE, read_classes=("system", "call", "agent", "user"))) as (pbx, ami):
        await add_agent(ami, "PJSIP/1001")
        await send_originate(ami, "5550001", "7", amd=True)
        await run(pbx, ami, 60)
        names = {m.name for m in ami.received if m.is_event}
        assert "VarSet" not in names
        assert "Newexten" not in names
        assert {"Newchannel", "OriginateResponse", "AgentConnect", "UserEvent", "Hangup"} <= names
        assert user_events(ami, "DialerAMD")[0].get("Status") == "HUMAN"


# ------------------------------------------------------------------ the shipped dialplan


async def test_live_answer_connects_to_an_agent_and_reports_the_call_end() -> None:
    async with pbx_session(LIVE) as (pbx, ami):
        await add_agent(ami, "PJSIP/1001")
        await send_originate(ami, "5550001", "42")
        await run(pbx, ami, 120)
        response = next(m for m in ami.received if m.name == "OriginateResponse")
        assert (response.get("Response"), response.get("Reason"), response.get("Uniqueid")) == (
            "Success",
            "4",
            "att-42",
        )
        assert response.getall(f"ChanVariable({response.get('Channel')})") == [
            "DIALER_ATTEMPT=42",
            "DIALER_CAMPAIGN=spring",
        ]
        connect = next(m for m in ami.received if m.name == "AgentConnect")
        assert connect.get("Interface") == "PJSIP/1001"
        assert (connect.get("DestChannel") or "").startswith("PJSIP/1001-")
        assert "ChanVariable" in connect
        assert connect.getall("ChanVariable")[0] == "DIALER_ATTEMPT=42"
        assert connect.getall("DestChanVariable") == ["DIALER_ATTEMPT=", "DIALER_CAMPAIGN="]
        complete = next(m for m in ami.received if m.name == "AgentComplete")
        assert complete.get("Reason") == "agent"
        end = user_events(ami, "DialerCallEnd")
        assert [(m.get("Attempt"), m.get("Stage"), m.get("Agent")) for m in end] == [("42", "CONNECTED", "PJSIP/1001")]
        record = pbx.truth.originate("orig-42")
        assert record.outcome is Outcome.CONNECTED
        assert record.agent == "PJSIP/1001"
        assert record.connected_at is not None
        assert record.answered_at is not None
        assert 0.3 < record.connected_at - record.answered_at < 2.0
        assert not pbx.core.engine.channels  # everything hung up


async def test_no_member_means_joinempty_abandon_and_safe_harbour() -> None:
    async with pbx_session(LIVE) as (pbx, ami):
        await send_originate(ami, "5550001", "9")
        await run(pbx, ami, 30)
        assert not [m for m in ami.received if m.name.startswith("QueueCaller")]
        abandon = user_events(ami, "DialerAbandon")
        assert [(m.get("Attempt"), m.get("QueueStatus")) for m in abandon] == [("9", "JOINEMPTY")]
        assert [m.get("Stage") for m in user_events(ami, "DialerCallEnd")] == ["SAFE_HARBOUR"]
        record = pbx.truth.originate("orig-9")
        assert record.outcome is Outcome.ABANDONED
        # The message plays for its length before the hangup.
        assert record.ended_at is not None
        assert record.answered_at is not None
        assert record.ended_at - record.answered_at >= pbx.config.safe_harbour_seconds


@pytest.mark.parametrize(("amd", "limit"), [(False, 2), (True, 1)])
async def test_busy_members_leave_the_caller_queued_for_the_connect_limit(amd: bool, limit: int) -> None:
    async with pbx_session(LIVE) as (pbx, ami):
        await add_agent(ami, "PJSIP/1001", paused=True)
        await send_originate(ami, "5550001", "5", amd=amd)
        await run(pbx, ami, 30)
        join = next(m for m in ami.received if m.name == "QueueCallerJoin")
        abandon = next(m for m in ami.received if m.name == "QueueCallerAbandon")
        assert abandon.get("HoldTime") == str(limit)
        names = [m.name for m in ami.received]
        assert names.index("QueueCallerAbandon") < names.index("QueueCallerLeave")
        assert [m.get("QueueStatus") for m in user_events(ami, "DialerAbandon")] == ["TIMEOUT"]
        assert join.get("Queue") == "outbound-agents"


async def test_a_member_freed_while_a_caller_waits_is_rung_at_the_next_queue_poll() -> None:
    async with pbx_session(LIVE) as (pbx, ami):
        record = await queued_behind_a_paused_agent(pbx, ami, "6")
        clock = clock_of(pbx)
        joined_at = record.queued_at
        await clock.advance_to(joined_at + 0.3)
        await ami.send("QueuePause", Interface="PJSIP/1001", Paused="false", ActionID="up")
        await ami.response("up")
        await clock.advance_to(joined_at + 0.9)
        await ami.drain(within=0.05)
        assert not any(m.name == "AgentCalled" for m in ami.received)  # app_queue looks once a second
        await clock.advance_to(joined_at + 1.05)
        called = await ami.collect_until(lambda m: m.name == "AgentCalled", within=2.0)
        assert called[-1].get("Interface") == "PJSIP/1001"


async def test_callee_hanging_up_while_queued_is_callerhangup() -> None:
    config = replace(LIVE, early_hangup_share=1.0)
    async with pbx_session(config) as (pbx, ami):
        await add_agent(ami, "PJSIP/1001", paused=True)
        await send_originate(ami, "5550001", "3")
        await run(pbx, ami, 20)
        assert any(m.name == "QueueCallerAbandon" for m in ami.received)
        assert [m.get("QueueStatus") for m in user_events(ami, "DialerAbandon")] == ["CALLERHANGUP"]
        assert [m.get("Stage") for m in user_events(ami, "DialerCallEnd")] == ["ABANDONED"]
        assert pbx.truth.originate("orig-3").outcome is Outcome.ABANDONED


async def test_opt_out_during_the_safe_harbour_message() -> None:
    config = replace(LIVE, opt_out_share=1.0)
    async with pbx_session(config) as (pbx, ami):
        await send_originate(ami, "5550001", "8", campaign="autumn")
        await run(pbx, ami, 30)
        opt_out = user_events(ami, "DialerOptOut")
        assert [(m.get("Attempt"), m.get("Campaign")) for m in opt_out] == [("8", "autumn")]
        assert [m.get("Stage") for m in user_events(ami, "DialerCallEnd")] == ["OPTOUT"]
        assert pbx.truth.originate("orig-8").opted_out


async def test_amd_machine_is_hung_up_without_reaching_the_queue() -> None:
    machines = scenario(
        outbound={"answer_probability": 0.0, "busy_share": 0.0, "machine_share": 1.0, "ring_mean_seconds": 2.0},
        amd={"enabled": True, "detection_mean_seconds": 3.0, "detection_spread_seconds": 0.5},
    )
    config = replace(LIVE, scenario=machines)
    async with pbx_session(config) as (pbx, ami):
        await add_agent(ami, "PJSIP/1001")
        await send_originate(ami, "5550001", "11", amd=True)
        await run(pbx, ami, 30)
        amd = user_events(ami, "DialerAMD")
        assert [(m.get("Status"), m.get("Cause"), m.get("Attempt")) for m in amd] == [
            ("MACHINE", "LONGGREETING-1500-1500", "11")
        ]
        assert not any(m.name == "QueueCallerJoin" for m in ami.received)
        assert [m.get("Stage") for m in user_events(ami, "DialerCallEnd")] == ["MACHINE"]
        assert pbx.truth.originate("orig-11").outcome is Outcome.MACHINE


async def test_dialer_hangup_of_a_ringing_call_and_of_a_queued_call() -> None:
    config = replace(
        LIVE,
        scenario=scenario(outbound={"answer_probability": 1.0, "busy_share": 0.0, "ring_mean_seconds": 8.0}),
    )
    async with pbx_session(config) as (pbx, ami):
        await send_originate(ami, "5550001", "1")
        await clock_of(pbx).advance(0.5)
        await ami.send("Hangup", Channel="att-1", Cause="16", ActionID="h1")
        assert (await ami.response("h1")).get("Message") == "Channel Hungup"
        await run(pbx, ami, 1)
        response = next(m for m in ami.received if m.name == "OriginateResponse")
        assert (response.get("Response"), response.get("Reason"), response.get("Uniqueid")) == ("Failure", "0", "att-1")
        assert {m.get("Cause") for m in ami.received if m.name == "Hangup"} == {"16"}
        assert next(m for m in ami.received if m.name == "DialEnd").get("DialStatus") == "NOANSWER"
        assert pbx.truth.originate("orig-1").outcome is Outcome.CANCELLED

        await add_agent(ami, "PJSIP/1001", paused=True)
        await send_originate(ami, "5550011", "2")
        channel = (await until(pbx, ami, "QueueCallerJoin")).get("Channel") or ""
        await ami.send("Hangup", Channel=channel, ActionID="h2")
        assert (await ami.response("h2")).get("Message") == "Channel Hungup"
        await run(pbx, ami, 1)
        hangups = {m.get("Channel"): m.get("Cause") for m in ami.received if m.name == "Hangup"}
        assert hangups[channel] == "0"
        assert any(m.name == "QueueCallerAbandon" and m.get("Channel") == channel for m in ami.received)
        await ami.send("Hangup", Channel="att-1", ActionID="h3")
        assert (await ami.response("h3")).get("Message") == "No such channel"
        await ami.send("Hangup", ActionID="h4")
        assert (await ami.response("h4")).get("Message") == "No channel specified"


async def test_dialer_hangup_of_the_agent_leg_ends_the_call_as_agent() -> None:
    async with pbx_session(LIVE) as (pbx, ami):
        await add_agent(ami, "PJSIP/1001")
        await send_originate(ami, "5550001", "4")
        agent_channel = (await until(pbx, ami, "AgentConnect")).get("DestChannel") or ""
        await ami.send("Hangup", Channel=agent_channel, ActionID="h")
        await ami.response("h")
        await run(pbx, ami, 1)
        assert next(m for m in ami.received if m.name == "AgentComplete").get("Reason") == "agent"
        assert not pbx.core.engine.channels


# ------------------------------------------------------------------ queues and inbound


async def test_queue_member_state_and_lists() -> None:
    async with pbx_session(LIVE) as (pbx, ami):
        await add_agent(ami, "PJSIP/1001")
        await ami.send("QueuePause", Queue="outbound-agents", Interface="PJSIP/1001", Paused="true", Reason="lunch")
        await ami.send("QueueStatus", ActionID="qs", Queue="outbound-agents")
        await ami.response("qs")
        items = await ami.collect_until(lambda m: m.name == "QueueStatusComplete")
        member = next(m for m in items if m.name == "QueueMember")
        assert (member.get("Paused"), member.get("PausedReason"), member.get("Membership")) == ("1", "lunch", "dynamic")
        assert member.headers[-1] == ("ActionID", "qs")
        assert items[-1].get("ListItems") == "2"
        member_state = pbx.queues["outbound-agents"].members["PJSIP/1001"]
        assert member_state.paused
        assert member_state.paused_reason == "lunch"
        await ami.send("QueueSummary", ActionID="sum")
        await ami.response("sum")
        summary = await ami.collect_until(lambda m: m.name == "QueueSummaryComplete")
        outbound = next(m for m in summary if m.get("Queue") == "outbound-agents")
        assert (outbound.get("LoggedIn"), outbound.get("Available")) == ("1", "0")
        await ami.send("QueueAdd", Queue="no-such-queue", Interface="PJSIP/1002", ActionID="bad")
        assert (await ami.response("bad")).get("Message") == "Unable to add interface to queue: No such queue"


async def test_core_show_channels_and_status_list_the_live_channels() -> None:
    async with pbx_session(LIVE) as (pbx, ami):
        await add_agent(ami, "PJSIP/1001")
        await send_originate(ami, "5550001", "21")
        await until(pbx, ami, "AgentConnect")
        await ami.send("CoreShowChannels", ActionID="csc")
        assert (await ami.response("csc")).get("EventList") == "start"
        listed = await ami.collect_until(lambda m: m.name == "CoreShowChannelsComplete")
        channels = [m for m in listed if m.name == "CoreShowChannel"]
        assert len(channels) == 3  # ;1 and ;2 of the call, the agent's PJSIP channel
        assert all(m.headers[1] == ("ActionID", "csc") for m in channels)
        bridged = [m for m in channels if m.get("BridgeId")]
        assert len(bridged) == 2
        assert bridged[0].get("BridgeId") == bridged[1].get("BridgeId")
        # manager.conf channelvars: both halves of the dialled Local channel carry the attempt (how a restarted
        # daemon finds its calls again); the agent's channel has the variables empty, as Asterisk lists them.
        attempts = sorted(m.get("ChanVariable") or "" for m in channels)
        assert attempts == ["DIALER_ATTEMPT=", "DIALER_ATTEMPT=21", "DIALER_ATTEMPT=21"]
        await ami.send("Status", ActionID="st")
        await ami.response("st")
        status = await ami.collect_until(lambda m: m.name == "StatusComplete")
        assert status[-1].get("Items") == "3"
        assert all(m.get("Privilege") == "Call" for m in status[:-1])


async def test_inbound_callers_arrive_wait_and_give_up_or_are_answered() -> None:
    inbound = scenario(
        outbound={"answer_probability": 0.0},
        inbound={"rate_per_hour": 720.0, "patience_mean_seconds": 20.0},
        handle={"talk_mean_seconds": 30.0, "talk_sd_seconds": 5.0},
    )
    async with pbx_session(replace(LIVE, scenario=inbound)) as (pbx, ami):
        # The agent is logged in but paused: callers join the queue (joinempty refuses them only when the queue has
        # no member at all) and wait.
        await add_agent(ami, "PJSIP/2001", queue="inbound-sales", paused=True)
        await run(pbx, ami, 120, step=1.0)
        nobody = list(pbx.truth.inbound)
        assert len(nobody) >= 5
        assert all(r.agent is None for r in nobody)
        finished = [r for r in nobody if r.ended_at is not None]
        assert finished
        assert all(r.abandoned_at is not None for r in finished)
        assert any(m.name == "QueueCallerAbandon" and m.get("Queue") == "inbound-sales" for m in ami.received)
        await ami.send("QueuePause", Queue="inbound-sales", Interface="PJSIP/2001", Paused="false", ActionID="up")
        assert (await ami.response("up")).get("Response") == "Success"
        await run(pbx, ami, 300, step=1.0)
        answered = [r for r in pbx.truth.inbound if r.agent == "PJSIP/2001"]
        assert answered
        # Once answered, a caller talks until the agent hangs up (patience only covers the wait).
        talked = [r for r in answered if r.ended_at is not None and r.answered_at is not None]
        assert talked
        assert all(r.ended_at - r.answered_at > 10 for r in talked if r.ended_at and r.answered_at)
        reasons = {
            m.get("Reason") for m in ami.received if m.name == "AgentComplete" and m.get("Queue") == "inbound-sales"
        }
        assert reasons == {"agent"}
        assert any(m.name == "AgentConnect" and m.get("Queue") == "inbound-sales" for m in ami.received)


async def test_inbound_callers_of_a_queue_without_members_are_refused_at_join() -> None:
    """joinempty (lab/inbound-joinempty.txt): nobody logged in, so Queue() returns JOINEMPTY at once, without any
    queue event; [dialer-inbound] reports it (DialerAbandon: Attempt empty, Queue, QueueStatus) and apologises."""
    inbound = scenario(outbound={"answer_probability": 0.0}, inbound={"rate_per_hour": 720.0})
    async with pbx_session(replace(LIVE, scenario=inbound)) as (pbx, ami):
        await run(pbx, ami, 60, step=1.0)
        refused = [r for r in pbx.truth.inbound if r.ended_at is not None]
        assert refused
        assert all(r.agent is None and r.abandoned_at is None for r in refused)
        assert not any(m.name.startswith("QueueCaller") for m in ami.received)
        abandons = [m for m in ami.received if m.name == "UserEvent" and m.get("UserEvent") == "DialerAbandon"]
        assert len(abandons) >= len(refused)
        assert {(m.get("Attempt"), m.get("Queue"), m.get("QueueStatus")) for m in abandons} == {
            ("", "inbound-sales", "JOINEMPTY")
        }


async def test_inbound_queue_has_priority_over_outbound_for_a_shared_member() -> None:
    async with pbx_session(LIVE) as (pbx, ami):
        await add_agent(ami, "PJSIP/1001", paused=True)
        await add_agent(ami, "PJSIP/1001", queue="inbound-sales", paused=True)
        await ami.send(
            "Originate", ActionID="in", Channel="Local/s@sim-inbound", Application="Wait", Data="30", Async="true"
        )
        await send_originate(ami, "5550001", "77")
        clock = clock_of(pbx)
        while sum(m.name == "QueueCallerJoin" for m in ami.received) < 2:
            await clock.advance(0.1)
            await ami.drain(within=0.01)
        await ami.send("QueuePause", Interface="PJSIP/1001", Paused="false", ActionID="up")
        await run(pbx, ami, 3, step=0.1)
        called = [m for m in ami.received if m.name == "AgentCalled"]
        assert called
        assert called[0].get("Queue") == "inbound-sales"
