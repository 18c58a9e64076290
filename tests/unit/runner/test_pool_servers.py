"""Where a campaign may place calls among several servers: only where its agents are, up and with trunk room."""

from __future__ import annotations

from dataclasses import dataclass

from dialer.ami.actions import OriginateRequest, OriginateResult
from dialer.runner.pool import Server, ServerPool
from dialer.runner.trunks import TrunkGate


@dataclass
class Link:
    is_up: bool = True

    async def originate(self, request: OriginateRequest) -> OriginateResult:
        raise AssertionError("not placed in these tests")

    async def hangup(self, channel_or_uniqueid: str, cause: int | None = None) -> bool:
        return False


def pool(**channels: int) -> tuple[ServerPool, dict[str, Link]]:
    links = {name: Link() for name in channels}
    servers = [Server(name, links[name], TrunkGate(name, n, 10.0)) for name, n in channels.items()]
    return ServerPool(servers), links


def test_no_agent_bound_to_a_server_means_any_server() -> None:
    p, _ = pool(a=5, b=5)
    assert p.dialable(0.0, []) is None
    assert p.dialable(0.0, ["", ""]) is None


def test_only_servers_with_the_campaigns_agents_are_dialled_most_agents_first() -> None:
    p, _ = pool(a=5, b=5, c=50)
    assert p.dialable(0.0, ["b", "a", "b"]) == ["b", "a"]  # c has room, but nobody there could take a call


def test_a_server_down_or_full_is_not_dialled() -> None:
    p, links = pool(a=1, b=5)
    links["b"].is_up = False
    assert p.dialable(0.0, ["a", "b"]) == ["a"]
    assert p.get("a").gate.acquire(0.0)
    assert p.dialable(0.0, ["a", "b"]) == []
    assert p.choose(0.0, only="b") is None
    links["b"].is_up = True
    assert p.choose(0.0, only="b") is p.get("b")
