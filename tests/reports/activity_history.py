"""A known agent state history for the agent activity report (added to the synthetic campaign's database), with
teams over time. Monday 2 March 2026 ("day 1", UTC) unless said:

* a1 (team north): signed in 08:00 (paused "login" 1 min), a call 08:30-08:40 (ringing 5 s), wrap-up to 08:42, a
  20 min break from 10:00 (its limit is 15), lunch 12:00-12:45, signed out 17:00; day 2: ready 08:00, a break from
  09:00 taken back by a restarted daemon at 09:05 (one break of 10 min), ready from 09:10 to the range's end.
* a2 (north, moved to south at 12:00 on day 1): ready 22:00, a call 23:30-00:30 across midnight, wrap-up to 00:35 on
  day 2, signed out.
* a3 (no team): ready 09:00, paused by a supervisor 09:30-09:40, signed out 10:00.
"""

from __future__ import annotations

from datetime import timedelta

from reports_history import DAY1

from dialer.store import Database
from dialer.store.admin import UserChange, change_user, create_team
from dialer.store.agent_history import AgentEventRecord, record_agent_events
from dialer.store.auth import Role, create_user

DAY2 = DAY1 + timedelta(days=1)


def _at(
    agent: str, day: int, hhmm: str, status: str, previous: str | None, reason: str | None = None
) -> AgentEventRecord:
    hours, minutes, *secs = (int(x) for x in hhmm.split(":"))
    at = DAY1 + timedelta(days=day - 1, hours=hours, minutes=minutes, seconds=secs[0] if secs else 0)
    return AgentEventRecord(agent, at, status, previous, reason)


EVENTS = [
    _at("a1", 0, "23:00", "logged_out", "ready", "logout"),  # the day before the range
    _at("a1", 1, "08:00", "paused", "logged_out", "login"),
    _at("a1", 1, "08:01", "ready", "paused"),
    _at("a1", 1, "08:30", "ringing", "ready"),
    _at("a1", 1, "08:30:05", "talking", "ringing"),
    _at("a1", 1, "08:40", "wrapup", "talking"),
    _at("a1", 1, "08:42", "ready", "wrapup"),
    _at("a1", 1, "10:00", "paused", "ready", "break"),
    _at("a1", 1, "10:20", "ready", "paused"),
    _at("a1", 1, "12:00", "paused", "ready", "lunch"),
    _at("a1", 1, "12:45", "ready", "paused"),
    _at("a1", 1, "17:00", "logged_out", "ready"),
    _at("a1", 2, "08:00", "ready", "logged_out", "login"),
    _at("a1", 2, "09:00", "paused", "ready", "break"),
    _at("a1", 2, "09:05", "paused", "logged_out", "break"),  # restored after a daemon restart
    _at("a1", 2, "09:10", "ready", "paused"),
    _at("a2", 1, "22:00", "ready", "logged_out", "login"),
    _at("a2", 1, "23:30", "talking", "ready"),
    _at("a2", 2, "00:30", "wrapup", "talking"),
    _at("a2", 2, "00:35", "logged_out", "wrapup"),
    _at("a3", 1, "09:00", "ready", "logged_out", "login"),
    _at("a3", 1, "09:30", "paused", "ready", "supervisor"),
    _at("a3", 1, "09:40", "ready", "paused"),
    _at("a3", 1, "10:00", "logged_out", "ready"),
]


async def add_activity(db: Database) -> None:
    for team in ("north", "south"):
        await create_team(db, team, DAY1, actor="admin")
    for name in ("a1", "a2"):
        await create_user(db, name, Role.AGENT, "x", DAY1)
        await change_user(db, name, UserChange(team="north"), DAY1, actor="admin")
    await change_user(db, "a2", UserChange(team="south"), DAY1 + timedelta(hours=12), actor="admin")
    await record_agent_events(db, EVENTS)
