"""The console's "ready in N s" as it is now in the simulated world: its buttons and a typed number of seconds
(``[ready] typed_share``), checked like every key of the scenario format."""

from __future__ import annotations

import random

import pytest

from dialer.agents.ready import MAX_READY_ANNOUNCEMENT_SECONDS, READY_ANNOUNCEMENT_BUTTONS
from dialer.sim.model import SCENARIOS_DIR, ReadyModel, ScenarioError, WorldModel, load_scenario, parse_scenario


def world(**ready: object) -> WorldModel:
    return WorldModel(parse_scenario({"agents": {"count": 10}, "ready": ready}))


def test_typed_share_is_read_and_checked() -> None:
    assert ReadyModel().typed_share == 0.0  # nobody types unless the scenario says so
    ready = parse_scenario({"ready": {"share": 0.5, "choices": [5, 10], "typed_share": 0.25}}).ready
    assert (ready.choices, ready.typed_share) == ((5.0, 10.0), 0.25)
    assert parse_scenario({"ready": {"choices": [], "typed_share": 1}}).ready.typed_share == 1.0
    for bad, why in (
        (1.5, r"\[ready\] typed_share = 1.5 is outside \[0.0, 1.0\]"),
        (-0.1, r"\[ready\] typed_share = -0.1 is outside"),
        ("half", r"\[ready\] typed_share must be a number"),
        (True, r"\[ready\] typed_share must be a number"),
    ):
        with pytest.raises(ScenarioError, match=why):
            parse_scenario({"ready": {"typed_share": bad}})
    with pytest.raises(ScenarioError, match=r"typed_share = 0.5 with choices = \[\]: without buttons every"):
        parse_scenario({"ready": {"choices": [], "typed_share": 0.5}})


def test_a_typed_announcement_is_the_estimate_rounded_up_to_whole_seconds() -> None:
    typed = world(share=1.0, error_sd=0.0, after_seconds=5.0, choices=[5, 10, 15, 20, 30], typed_share=1.0)
    rng = random.Random(1)
    said = typed.draw_announcement(rng, 17.2)  # 12.2 s left: typed 13, not the 15 s button
    assert said is not None
    assert (said.at, said.ready_at, said.wrap) == (5.0, 18.0, 17.2)
    said = typed.draw_announcement(rng, 60.0)  # 55 s left: no button is long enough, a typed number is
    assert said is not None
    assert said.ready_at == 60.0
    too_long = 5.0 + MAX_READY_ANNOUNCEMENT_SECONDS + 1.0
    assert typed.draw_announcement(rng, too_long) is None  # the console takes no more than its maximum
    buttons = world(share=1.0, error_sd=0.0, after_seconds=5.0, choices=[5, 10, 15, 20, 30])
    said = buttons.draw_announcement(rng, 17.2)
    assert said is not None
    assert said.ready_at == 20.0  # the smallest button at or over 12.2 s: 15 s


def test_typed_share_splits_the_announcements_and_leaves_the_stream_alone() -> None:
    base = {"share": 0.6, "error_sd": 0.3, "after_seconds": 2.0, "choices": [5, 10, 15, 20, 30]}
    plain, none_typed, some_typed = world(**base), world(**base, typed_share=0.0), world(**base, typed_share=0.4)
    rngs = [random.Random(5) for _ in range(3)]
    wraps = random.Random(6)
    announced = typed = 0
    for _ in range(4000):
        wrap = 3.0 + 40.0 * wraps.random()
        a, b, c = (w.draw_announcement(r, wrap) for w, r in zip((plain, none_typed, some_typed), rngs, strict=True))
        assert a == b  # typed_share 0: the world it was, draw for draw
        assert (a is None) == (c is None) or c is not None  # typing only adds announcements (no button fits)
        if c is not None:
            announced += 1
            typed += (c.ready_at - c.at) not in {5.0, 10.0, 15.0, 20.0, 30.0}
    assert announced > 2000
    # Typed values that happen to equal a button are counted as buttons: a little under 0.4.
    assert 0.3 < typed / announced < 0.45


@pytest.mark.parametrize("name", ["n10-p020", "n20-p020"])
def test_the_shipped_console_worlds_offer_what_the_console_offers(name: str) -> None:
    console = load_scenario(SCENARIOS_DIR / "ready" / f"{name}-console.toml")
    before = load_scenario(SCENARIOS_DIR / "ready" / f"{name}.toml")
    assert console.ready.choices == tuple(float(b) for b in READY_ANNOUNCEMENT_BUTTONS)
    assert console.ready.typed_share == 0.25
    assert (console.ready.share, console.ready.after_seconds, console.ready.error_sd, console.ready.enforced) == (
        before.ready.share,
        before.ready.after_seconds,
        before.ready.error_sd,
        before.ready.enforced,
    )
    assert (console.agents, console.outbound, console.handle) == (before.agents, before.outbound, before.handle)
