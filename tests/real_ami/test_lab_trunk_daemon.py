"""The daemon (`dialer run`, a subprocess with its own SQLite file) dialling a campaign whose trunk is the lab's IAX2
trunk, ``trunk = "IAX2/carrier/{number}"`` (asterisk/lab/iax.conf, asterisk/lab/carrier; opt-in: DIALER_TEST_AMI):
every failure the carrier sends back is recorded with the outcome its Reason and cause mean, and the lead rules act
on it -- busy, congestion and no answer requeue the lead, an unallocated number archives it.
"""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest
from harness.lab_daemon import daemon, ended_attempts, open_zone, power_campaign, rows, start_with_agent_ready, wait_for

pytestmark = pytest.mark.real_ami

# last seven digits -> (attempt outcome, lead status); the carrier acts them out ([carrier-numbers])
EXPECTED = {
    "5550102": ("busy", "retry"),  # Busy(): Reason 5, cause 17
    "5550104": ("congestion", "retry"),  # Congestion(): Reason 8, cause 34
    "5550105": ("unallocated", "archived"),  # released with cause 1: Reason 0
    "5559017": ("busy", "retry"),  # released with cause 17: Reason 0
    "5559019": ("no_answer", "retry"),  # released with cause 19: Reason 0
    "5559021": ("congestion", "retry"),  # released with cause 21 (call rejected): Reason 0
}


async def test_the_daemon_records_the_carriers_causes_over_the_iax2_trunk(home: Path) -> None:
    zone = open_zone()
    numbers = {zone.number(seven): wanted for seven, wanted in EXPECTED.items()}
    campaign = power_campaign(home, "lab-trunk", "IAX2/carrier/{number}", zone, numbers, max_attempts=3)
    log = campaign.log

    async with aiohttp.ClientSession() as http, daemon(home, log):
        await start_with_agent_ready(http, home, campaign)
        await wait_for(lambda: len(ended_attempts(home)) == len(numbers), 120, "every lead dialled once over the trunk")

    phones = {row["id"]: row for row in rows(home, "SELECT * FROM leads")}
    attempts = rows(home, "SELECT * FROM attempts ORDER BY id")
    assert len(attempts) == len(numbers), "no lead dialled twice (the retry delays are minutes)"
    got = {phones[a["lead_id"]]["phone"]: (a["outcome"], phones[a["lead_id"]]["status"]) for a in attempts}
    assert got == numbers, log.read_text(encoding="utf-8")[-4000:]
    assert not any(a["outcome_inferred"] for a in attempts)
    archived = [lead for lead in phones.values() if lead["status"] == "archived"]
    assert [lead["archive_reason"] for lead in archived] == ["unallocated"]
