"""What became of each inbound caller (dialer.inbound.calls) and the one definition of the service level
(dialer.inbound.figures): every way a visit ends, from typed events on a clock we pass in."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dialer.ami.events import AgentComplete, AgentConnect, Hangup, QueueCallerAbandon, QueueCallerJoin, UserEvent
from dialer.inbound.calls import ABANDON_SETTLE_SECONDS, InboundCall, InboundCallBook, InboundOutcome
from dialer.inbound.figures import ServiceLevelRule, queue_figures

Q = "inbound-sales"
SNAP = {"channel_state": 6, "context": "dialer-inbound", "exten": "queue"}


def join(uid: str, queue: str = Q, number: str = "5550199") -> QueueCallerJoin:
    return QueueCallerJoin(f"Local/{uid}", uid, uid, caller_id_num=number, queue=queue, position=1, count=1, **SNAP)


def connect(uid: str, interface: str = "PJSIP/1001", hold: int = 3) -> AgentConnect:
    return AgentConnect(f"Local/{uid}", uid, uid, "PJSIP/1001-1", "a1", Q, interface, interface, hold, 0)


def complete(uid: str, talk: int) -> AgentComplete:
    return AgentComplete(
        f"Local/{uid}", uid, uid, "PJSIP/1001-1", "a1", Q, "PJSIP/1001", "PJSIP/1001", 3, talk, "agent"
    )


def abandon(uid: str, hold: int) -> QueueCallerAbandon:
    return QueueCallerAbandon(
        f"Local/{uid}",
        uid,
        uid,
        caller_id_num="5550199",
        queue=Q,
        position=1,
        original_position=1,
        hold_time=hold,
        **SNAP,
    )


def unanswered(uid: str, status: str, queue: str | None = Q) -> UserEvent:
    fields = [("Attempt", "")] + ([("Queue", queue)] if queue is not None else []) + [("QueueStatus", status)]
    return UserEvent(
        f"Local/{uid}", uid, uid, caller_id_num="5550199", name="DialerAbandon", fields=tuple(fields), **SNAP
    )


def hangup(uid: str) -> Hangup:
    return Hangup(f"Local/{uid}", uid, uid, caller_id_num="5550199", cause=16, cause_txt="Normal Clearing", **SNAP)


def run(book: InboundCallBook, *timed: tuple[float, object]) -> list[InboundCall]:
    out: list[InboundCall] = []
    for at, event in timed:
        out += book.observe(event, at, "pbx1")  # type: ignore[arg-type]
    return out


def test_an_answered_call_waits_until_the_agent_answers_and_talks_until_agentcomplete() -> None:
    book = InboundCallBook(frozenset({Q}))
    done = run(book, (100.0, join("c1")), (107.5, connect("c1")), (180.0, complete("c1", 72)), (180.1, hangup("c1")))
    assert len(done) == 1
    call = done[0]
    assert call.outcome is InboundOutcome.ANSWERED
    assert call.wait_seconds == 7.5  # our clock, finer than Asterisk's whole HoldTime
    assert call.talk_seconds == 72.0
    assert call.interface == "PJSIP/1001"
    assert call.caller == "5550199"
    assert call.server == "pbx1"
    assert book.waiting(200.0) == []


def test_a_caller_who_hangs_up_waiting_is_an_abandon_ended_by_the_hangup() -> None:
    book = InboundCallBook(frozenset({Q}))
    run(book, (100.0, join("c1")))
    assert book.waiting(105.0) == [(Q, 5.0)]
    done = run(book, (109.0, abandon("c1", 9)), (109.0, hangup("c1")))
    assert [(c.outcome, c.wait_seconds, c.queue_status) for c in done] == [(InboundOutcome.ABANDONED, 9.0, None)]


def test_a_timeout_is_told_apart_by_the_dialplans_dialerabandon() -> None:
    book = InboundCallBook(frozenset({Q}))
    done = run(book, (0.0, join("c1")), (120.0, abandon("c1", 120)), (120.0, unanswered("c1", "TIMEOUT")))
    assert [(c.outcome, c.wait_seconds, c.queue_status) for c in done] == [(InboundOutcome.TIMED_OUT, 120.0, "TIMEOUT")]
    assert run(book, (125.0, hangup("c1"))) == []  # the apology's end: already counted


def test_a_caller_refused_at_the_door_never_joined_and_never_waited() -> None:
    book = InboundCallBook(frozenset({Q}))
    done = run(book, (50.0, unanswered("c1", "JOINEMPTY")))
    assert [(c.outcome, c.wait_seconds, c.queue) for c in done] == [(InboundOutcome.REFUSED, 0.0, Q)]
    # another queue's, or an outbound call's abandon (it has an attempt id), is none of the book's business
    assert run(book, (51.0, unanswered("c2", "JOINEMPTY", "outbound-agents"))) == []
    outbound = UserEvent(
        "x", "c3", "c3", 6, "", "", "", "DialerAbandon", (("Attempt", "42"), ("QueueStatus", "TIMEOUT"))
    )
    assert run(book, (52.0, outbound)) == []


def test_an_ivr_caller_timed_out_without_the_queue_field_is_matched_by_its_channel() -> None:
    book = InboundCallBook(frozenset({Q}))
    done = run(book, (0.0, join("c1")), (30.0, abandon("c1", 30)), (30.0, unanswered("c1", "TIMEOUT", None)))
    assert [c.outcome for c in done] == [InboundOutcome.TIMED_OUT]


def test_every_member_leaving_while_the_caller_waits_is_a_refusal_after_a_wait() -> None:
    book = InboundCallBook(frozenset({Q}))
    done = run(book, (0.0, join("c1")), (12.0, abandon("c1", 12)), (12.0, unanswered("c1", "LEAVEEMPTY")))
    assert [(c.outcome, c.wait_seconds) for c in done] == [(InboundOutcome.REFUSED, 12.0)]


def test_an_abandon_whose_follow_up_was_lost_settles_as_an_abandon() -> None:
    book = InboundCallBook(frozenset({Q}))
    assert run(book, (0.0, join("c1")), (4.0, abandon("c1", 4))) == []
    done = run(book, (4.0 + ABANDON_SETTLE_SECONDS, join("other", "not-inbound")))
    assert [(c.outcome, c.wait_seconds) for c in done] == [(InboundOutcome.ABANDONED, 4.0)]


def test_an_answered_call_whose_agentcomplete_never_came_talks_until_its_hangup() -> None:
    book = InboundCallBook(frozenset({Q}))
    done = run(book, (0.0, join("c1")), (2.0, connect("c1")), (62.0, hangup("c1")))
    assert [(c.outcome, c.wait_seconds, c.talk_seconds) for c in done] == [(InboundOutcome.ANSWERED, 2.0, 60.0)]


def test_servers_keep_their_own_callers_and_other_queues_are_ignored() -> None:
    book = InboundCallBook(frozenset({Q}))
    book.observe(join("c1"), 0.0, "pbx1")
    book.observe(join("c1", "outbound-agents"), 0.0, "pbx2")
    assert book.observe(hangup("c1"), 5.0, "pbx2") == []
    assert book.waiting(5.0) == [(Q, 5.0)]
    assert [c.outcome for c in book.observe(hangup("c1"), 6.0, "pbx1")] == [InboundOutcome.ABANDONED]


def test_the_book_is_bounded() -> None:
    book = InboundCallBook(frozenset({Q}), max_calls=3)
    for n in range(5):
        book.observe(join(f"c{n}"), float(n), "pbx1")
    assert len(book.waiting(10.0)) == 3
    assert book.dropped == 2


def visit(outcome: InboundOutcome, wait: float, talk: float | None = None) -> InboundCall:
    return InboundCall("pbx1", Q, "u", "", 0.0, outcome=outcome, wait_seconds=wait, talk_seconds=talk)


def test_the_service_level_leaves_short_abandons_out_and_counts_timeouts_and_refusals_as_not_served() -> None:
    visits = [
        visit(InboundOutcome.ANSWERED, 5, 100),
        visit(InboundOutcome.ANSWERED, 20, 60),  # at the target: within
        visit(InboundOutcome.ANSWERED, 35, None),
        visit(InboundOutcome.ABANDONED, 3),  # short
        visit(InboundOutcome.ABANDONED, 40),
        visit(InboundOutcome.TIMED_OUT, 300),
        visit(InboundOutcome.REFUSED, 0),
    ]
    f = queue_figures(Q, visits, ServiceLevelRule(answer_within_seconds=20, short_abandon_seconds=5))
    assert (f.offered, f.answered, f.answered_within, f.abandoned, f.short_abandoned, f.timed_out, f.refused) == (
        7,
        3,
        2,
        1,
        1,
        1,
        1,
    )
    assert f.counted == 6
    assert f.service_level == 2 / 6
    assert f.abandon_rate == 1 / 6
    assert f.average_speed_of_answer == 20.0
    assert f.longest_wait_seconds == 300
    assert f.mean_talk_seconds == 80.0
    empty = queue_figures(Q, [], ServiceLevelRule())
    assert empty.service_level is None
    assert empty.average_speed_of_answer is None
    assert empty.longest_wait_seconds is None


outcomes = st.sampled_from(list(InboundOutcome))


@given(st.lists(st.tuples(outcomes, st.floats(0, 1000), st.one_of(st.none(), st.floats(0, 5000))), max_size=60))
def test_the_figures_always_add_up(raw: list[tuple[InboundOutcome, float, float | None]]) -> None:
    f = queue_figures(Q, [visit(o, w, t) for o, w, t in raw], ServiceLevelRule())
    assert f.offered == len(raw)
    assert f.answered + f.abandoned + f.short_abandoned + f.timed_out + f.refused == f.offered
    assert f.answered_within <= f.answered
    for rate in (f.service_level, f.abandon_rate):
        assert rate is None or 0.0 <= rate <= 1.0


def test_a_caller_whose_join_was_not_seen_is_counted_from_asterisks_hold_time() -> None:
    """Joined while AMI was down (or before this daemon started): the answer or the abandon still makes a visit."""
    book = InboundCallBook(frozenset({Q}))
    done = run(book, (100.0, connect("c1", hold=12)), (160.0, complete("c1", 60)))
    assert [(c.outcome, c.wait_seconds, c.joined_at) for c in done] == [(InboundOutcome.ANSWERED, 12.0, 88.0)]
    done = run(book, (200.0, abandon("c2", 30)), (200.0, hangup("c2")))
    assert [(c.outcome, c.wait_seconds, c.caller) for c in done] == [(InboundOutcome.ABANDONED, 30.0, "5550199")]


def test_callers_gone_while_ami_was_down_are_forgotten_at_the_resync_never_guessed() -> None:
    book = InboundCallBook(frozenset({Q}))
    run(book, (0.0, join("c1")), (0.0, join("c2")), (1.0, connect("c2")))
    book.observe(join("c3"), 2.0, "pbx2")
    assert book.reconcile("pbx1", live={"c2"}) == 1  # c1's channel is gone: its ending was lost with the link
    assert book.lost == 1
    assert book.waiting(10.0) == [(Q, 8.0)]  # pbx2's caller is another server's business
    assert [c.outcome for c in run(book, (30.0, complete("c2", 29)))] == [InboundOutcome.ANSWERED]
