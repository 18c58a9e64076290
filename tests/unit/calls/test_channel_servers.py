"""Which server each live channel is on, from the servers' own channel events (an IVR caller's, for virtual hold)."""

from __future__ import annotations

from dialer.ami.events import Hangup, Newchannel, Newstate
from dialer.calls.channel_servers import LISTING_GRACE_SECONDS, ChannelServers


def new(uniqueid: str) -> Newchannel:
    return Newchannel(f"PJSIP/carrier-{uniqueid}", uniqueid, uniqueid, 4, "+12025550123", "from-carrier", "s")


def gone(uniqueid: str) -> Hangup:
    return Hangup(f"PJSIP/carrier-{uniqueid}", uniqueid, uniqueid, 6, "", "dialer-ivr", "s", 16, "Normal Clearing")


def test_a_channel_is_on_the_server_that_announced_it_until_it_hangs_up() -> None:
    book = ChannelServers()
    book.observe(new("a"), 0.0, "east")
    book.observe(new("b"), 0.0, "west")
    book.observe(Newstate("PJSIP/carrier-a", "a", "a", 6, "", "", "", "Up"), 1.0, "east")  # (not a new channel)
    book.observe(new("c"), 0.0, None)  # (no server named: nothing to tell)
    assert (book.server_of("a"), book.server_of("b"), book.server_of("c"), book.server_of("")) == (
        "east",
        "west",
        None,
        None,
    )
    book.observe(gone("a"), 2.0, "west")  # (west's channel a, never announced: east's stays)
    assert book.server_of("a") == "east"
    book.observe(gone("a"), 2.0, "east")
    assert book.server_of("a") is None
    assert len(book) == 1


def test_a_uniqueid_two_servers_announced_names_neither() -> None:
    book = ChannelServers()
    book.observe(new("1733560000.42"), 0.0, "east")
    book.observe(new("1733560000.42"), 0.0, "west")
    assert book.server_of("1733560000.42") is None
    book.observe(gone("1733560000.42"), 1.0, "west")
    assert len(book) == 0


def test_a_listing_forgets_the_channels_whose_hangup_was_lost_not_the_new_ones() -> None:
    book = ChannelServers()
    for uniqueid, server in (("lost", "east"), ("listed", "east"), ("west's", "west")):
        book.observe(new(uniqueid), 0.0, server)
    now = LISTING_GRACE_SECONDS + 10.0
    book.observe(new("fresh"), now - 1.0, "east")  # (created while the listing was under way)
    book.reconcile("east", {"listed"}, now)
    assert [book.server_of(u) for u in ("lost", "listed", "fresh", "west's")] == [None, "east", "east", "west"]


def test_the_book_is_bounded_the_oldest_forgotten_first() -> None:
    book = ChannelServers(max_channels=2)
    for n in range(3):
        book.observe(new(str(n)), float(n), "east")
    assert [book.server_of(str(n)) for n in range(3)] == [None, "east", "east"]
