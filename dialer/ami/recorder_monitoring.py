"""Recorder scenarios of recording and supervisor monitoring (``dialer trace record recording-all`` ...).

Kept beside :mod:`dialer.ami.recorder` (``ALL_SCENARIOS`` is its ``SCENARIOS`` and these: what ``dialer trace``
offers): a call recorded by the dialplan
(``DIALER_RECORDING``, asterisk/extensions.conf [dialer-record]) and paused/resumed over AMI; a recording
started, paused and stopped over AMI; a supervisor who listens, then whispers, then barges into a call.
"""

from __future__ import annotations

from dialer.ami.recorder import (
    EVENTS_ON,
    LOGIN,
    LOGOFF,
    QUEUE,
    SCENARIOS,
    Pause,
    Scenario,
    Send,
    UntilClosed,
    UntilQuiet,
    originate,
    send,
)

# One agent only, so the spied-on agent is known (asterisk/lab [lab-agents] auto-answers "_age[n]t.").
AGENT = "Local/agentfx1@lab-agents"
SUPERVISOR = "Local/supervisor1@lab-supervisors"


def recorded_originate(number: str, action_id: str, channel_id: str, recording: str, *, consent: bool = False) -> Send:
    """The dialer's Originate of a campaign with ``recording = "all"``: DIALER_RECORDING names the file;
    DIALER_RECORDING_CONSENT=1 plays the consent announcement first."""
    base = originate(number, action_id, channel_id=channel_id)
    headers = list(base.headers)
    headers.insert(-1, ("Variable", f"DIALER_RECORDING={recording}"))
    if consent:
        headers.insert(-1, ("Variable", "DIALER_RECORDING_CONSENT=1"))
    return Send(tuple(headers))


def spy_originate(mode: str, action_id: str, channel_id: str, agent: str = AGENT) -> Send:
    """The dialer's Originate to a supervisor's phone: ChanSpy on ``agent`` (asterisk/extensions.conf)."""
    return send(
        ("Action", "Originate"),
        ("Channel", SUPERVISOR),
        ("Context", "dialer-supervise"),
        ("Exten", mode),
        ("Priority", "1"),
        ("Timeout", "30000"),
        ("CallerID", '"Supervisor" <5550900>'),
        ("Async", "true"),
        ("ChannelId", channel_id),
        ("Variable", f"DIALER_SPY_TARGET={agent}"),
        ("Variable", "DIALER_SPY_SUPERVISOR=fixture-supervisor"),
        ("ActionID", action_id),
    )


def _one_agent(*body: Send | Pause) -> tuple[Send | Pause | UntilQuiet | UntilClosed, ...]:
    add = send(("Action", "QueueAdd"), ("Queue", QUEUE), ("Interface", AGENT), ("ActionID", "queueadd-1"))
    remove = send(("Action", "QueueRemove"), ("Queue", QUEUE), ("Interface", AGENT), ("ActionID", "queueremove-1"))
    return (LOGIN, EVENTS_ON, add, *body, UntilQuiet(3.0, 90.0), remove, LOGOFF, UntilClosed())


MONITORING_SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "recording-all",
            "a live call recorded by the dialplan (DIALER_RECORDING, MixMonitor option b); muted (paused) "
            "and unmuted over AMI while the agent talks; a MixMonitorMute of an unknown channel",
            _one_agent(
                recorded_originate("9980001", "rec-1", "fixture-rec-1", "dialer-fixtures/fixture-rec-1.wav"),
                Pause(6.0),
                send(
                    ("Action", "MixMonitorMute"),
                    ("Channel", "fixture-rec-1"),
                    ("Direction", "both"),
                    ("State", "1"),
                    ("ActionID", "mute-1"),
                ),
                Pause(2.0),
                send(
                    ("Action", "MixMonitorMute"),
                    ("Channel", "fixture-rec-1"),
                    ("Direction", "both"),
                    ("State", "0"),
                    ("ActionID", "mute-2"),
                ),
                send(
                    ("Action", "MixMonitorMute"),
                    ("Channel", "fixture-nobody"),
                    ("Direction", "both"),
                    ("State", "1"),
                    ("ActionID", "mute-3"),
                ),
            ),
        ),
        Scenario(
            "recording-consent",
            "a recorded call whose called party hears the consent announcement first (DIALER_RECORDING_CONSENT=1: "
            "[dialer-record] consent, Playback of DIALER_CONSENT_PROMPT, DialerRecordingConsent), then MixMonitor",
            _one_agent(
                recorded_originate(
                    "9980031", "con-1", "fixture-con-1", "dialer-fixtures/fixture-con-1.wav", consent=True
                ),
                Pause(6.0),
            ),
        ),
        Scenario(
            "recording-on-demand",
            "a live call without recording; MixMonitor over AMI (the agent starts it), StopMixMonitor, "
            "StopMixMonitor again (nothing to stop) and MixMonitor of an unknown channel",
            _one_agent(
                originate("9980011", "dem-1", channel_id="fixture-dem-1"),
                Pause(5.0),
                send(
                    ("Action", "MixMonitor"),
                    ("Channel", "fixture-dem-1"),
                    ("File", "dialer-fixtures/fixture-dem-1.wav"),
                    ("Options", "b"),
                    ("ActionID", "mixmon-1"),
                ),
                Pause(3.0),
                send(("Action", "StopMixMonitor"), ("Channel", "fixture-dem-1"), ("ActionID", "stopmix-1")),
                Pause(0.5),
                send(("Action", "StopMixMonitor"), ("Channel", "fixture-dem-1"), ("ActionID", "stopmix-2")),
                send(
                    ("Action", "MixMonitor"),
                    ("Channel", "fixture-nobody"),
                    ("File", "dialer-fixtures/nobody.wav"),
                    ("ActionID", "mixmon-2"),
                ),
            ),
        ),
        Scenario(
            "supervise-whisper-barge",
            "a live call with one agent; a supervisor's phone spies on the agent: whisper (ChanSpy w), hung up "
            "by the dialer, then barge (ChanSpy B) until the call ends; a listen on an agent without a call",
            _one_agent(
                originate("9980021", "spy-call", channel_id="fixture-spy-call"),
                Pause(5.0),
                spy_originate("whisper", "spy-1", "fixture-spy-1"),
                Pause(2.0),
                send(("Action", "Hangup"), ("Channel", "fixture-spy-1"), ("Cause", "16"), ("ActionID", "spy-hangup-1")),
                Pause(0.5),
                spy_originate("barge", "spy-2", "fixture-spy-2"),
                Pause(1.0),
                spy_originate("listen", "spy-3", "fixture-spy-3", agent="Local/agentfx7@lab-agents"),
            ),
        ),
    )
}

# Every named scenario `dialer trace record` knows.
ALL_SCENARIOS: dict[str, Scenario] = {**SCENARIOS, **MONITORING_SCENARIOS}
