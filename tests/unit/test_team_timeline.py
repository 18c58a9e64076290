"""Teams over time (dialer.reports.teams): an agent's period cut where their team changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from dialer.reports.teams import TeamTimeline
from dialer.store.admin import TeamSpell

T0 = datetime(2026, 3, 2, tzinfo=UTC)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def test_pieces_follow_the_agents_moves_and_merge_what_is_one_team() -> None:
    timeline = TeamTimeline(
        [
            TeamSpell("a1", "north", None, at(2)),  # from before spells were kept
            TeamSpell("a1", "north", at(2), at(3)),  # left and rejoined at once: one piece
            TeamSpell("a1", "south", at(5), None),
        ]
    )
    assert timeline.pieces("a1", at(0), at(8)) == [
        ("north", at(0), at(3)),
        (None, at(3), at(5)),
        ("south", at(5), at(8)),
    ]
    assert timeline.pieces("a2", at(0), at(8)) == [(None, at(0), at(8))]
    assert (timeline.team_at("a1", at(3)), timeline.team_at("a1", at(2.99))) == (None, "north")
    assert not TeamTimeline([])
    always = TeamTimeline([TeamSpell("a1", "north", None, None)])  # a report by today's members
    assert always.pieces("a1", at(0), at(1)) == [("north", at(0), at(1))]


spells = st.lists(
    st.tuples(st.sampled_from(["north", "south", "east"]), st.integers(0, 20), st.integers(1, 8)),
    max_size=6,
)


@given(spells, st.integers(0, 10), st.integers(1, 30))
def test_pieces_cut_the_period_without_gap_overlap_or_an_empty_piece(
    drawn: list[tuple[str, int, int]], start: int, length: int
) -> None:
    # Spells one after another, as change_user writes them (each move ends the open spell).
    made, t = [], 0
    for team, gap, hours in drawn:
        made.append(TeamSpell("a", team, at(t + gap), at(t + gap + hours)))
        t += gap + hours
    timeline = TeamTimeline(made)
    pieces = timeline.pieces("a", at(start), at(start + length))
    assert pieces[0][1] == at(start)
    assert pieces[-1][2] == at(start + length)
    for (team, lo, hi), after in zip(pieces, [*pieces[1:], None], strict=True):
        assert lo < hi
        assert timeline.team_at("a", lo) == team
        if after is not None:
            assert after[1] == hi
            assert after[0] != team
