"""The contract between the dialer and its dialplan (asterisk/extensions.conf, manager.conf): one home for every name.

asterisk/README.md, "The contract between the dialer and the dialplan", says what each one means; this module is
where the code takes them from (the runner, the call tracker, adoption, the agent registry, the simulated PBX, the
benchmarks, the campaign defaults), and tests/unit/test_asterisk_config.py checks that the shipped dialplan uses
exactly these names and no others. A new variable, UserEvent or context goes here first.
"""

from __future__ import annotations

from typing import Final

# -- channel variables the dialer sets on every Originate (``Variable: NAME=value``)
ATTEMPT_VARIABLE: Final = "DIALER_ATTEMPT"  # the attempt id: correlates every event of the call with its row
CAMPAIGN_VARIABLE: Final = "DIALER_CAMPAIGN"  # the campaign name (DialerOptOut carries it back)
QUEUE_VARIABLE: Final = "DIALER_QUEUE"  # the queue the answered call is offered to
AMD_VARIABLE: Final = "DIALER_AMD"  # "1": run AMD() on answer, "0": do not
AGENT_VARIABLE: Final = "DIALER_AGENT"  # preview calls and agent-owned callbacks: Dial() this interface, no queue
ORIGINATE_VARIABLES: Final = (ATTEMPT_VARIABLE, CAMPAIGN_VARIABLE, QUEUE_VARIABLE, AMD_VARIABLE, AGENT_VARIABLE)

# -- IVR flows (dialer/ivr/agi.py, [dialer-ivr]): an agentless Originate sends DIALER_IVR_FLOW (Context: dialer-ivr)
IVR_FLOW_VARIABLE: Final = "DIALER_IVR_FLOW"  # the flow the FastAGI server runs for this call
IVR_CALL_VARIABLE: Final = "DIALER_IVR_CALL"  # our id of the call in the flow (set by the FastAGI server)
IVR_QUEUE_VARIABLE: Final = "DIALER_IVR_QUEUE"  # set by the flow: the queue to hand the caller to
IVR_MAX_WAIT_VARIABLE: Final = "DIALER_IVR_MAX_WAIT"  # set by the flow: the bounded wait in that queue (seconds)
IVR_CONTEXT_VARIABLE: Final = "DIALER_IVR_CONTEXT"  # set by the flow: path, keys, data, time (the screen pop)
IVR_VARIABLES: Final = (
    IVR_FLOW_VARIABLE,
    IVR_CALL_VARIABLE,
    IVR_QUEUE_VARIABLE,
    IVR_MAX_WAIT_VARIABLE,
    IVR_CONTEXT_VARIABLE,
)

# manager.conf ``channelvars``: every channel event (and CoreShowChannel item) lists these as ChanVariable lines,
# which is how calls are found again without their ChannelId (adoption after a restart).
CHANNEL_EVENT_VARIABLES: Final = (ATTEMPT_VARIABLE, CAMPAIGN_VARIABLE)

# -- [globals] of extensions.conf; an Originate may override any of them for one call (Variable: NAME=value)
SAFE_HARBOUR_VARIABLE: Final = "DIALER_SAFE_HARBOUR"  # the safe-harbour prompt
OPTOUT_KEY_VARIABLE: Final = "DIALER_OPTOUT_KEY"
OPTOUT_WAIT_VARIABLE: Final = "DIALER_OPTOUT_WAIT"
OPTOUT_CONFIRM_VARIABLE: Final = "DIALER_OPTOUT_CONFIRM"
MACHINE_MESSAGE_VARIABLE: Final = "DIALER_MACHINE_MESSAGE"
CONNECT_LIMIT_VARIABLE: Final = "DIALER_CONNECT_LIMIT"  # seconds in the queue before the safe-harbour message
CONNECT_LIMIT_AMD_VARIABLE: Final = "DIALER_CONNECT_LIMIT_AMD"  # the same after AMD (its silence already counted)
INBOUND_MAX_WAIT_VARIABLE: Final = "DIALER_INBOUND_MAX_WAIT"
INBOUND_CLOSED_VARIABLE: Final = "DIALER_INBOUND_CLOSED"
FASTAGI_VARIABLE: Final = "DIALER_FASTAGI"  # host:port of the daemon's FastAGI server
HOLD_MUSIC_VARIABLE: Final = "DIALER_HOLD_MUSIC"  # call control: music-on-hold class of a held customer ("" silence)
HOLD_MAX_VARIABLE: Final = "DIALER_HOLD_MAX"  # call control: longest hold (s) before the held call ends
TRANSFER_RING_VARIABLE: Final = "DIALER_TRANSFER_RING"  # call control: seconds a transfer target may ring
CONSENT_PROMPT_VARIABLE: Final = "DIALER_CONSENT_PROMPT"  # recording: the consent announcement's prompt
GLOBAL_VARIABLES: Final = (
    SAFE_HARBOUR_VARIABLE,
    OPTOUT_KEY_VARIABLE,
    OPTOUT_WAIT_VARIABLE,
    OPTOUT_CONFIRM_VARIABLE,
    MACHINE_MESSAGE_VARIABLE,
    CONNECT_LIMIT_VARIABLE,
    CONNECT_LIMIT_AMD_VARIABLE,
    INBOUND_MAX_WAIT_VARIABLE,
    INBOUND_CLOSED_VARIABLE,
    FASTAGI_VARIABLE,
    HOLD_MUSIC_VARIABLE,
    HOLD_MAX_VARIABLE,
    TRANSFER_RING_VARIABLE,
    CONSENT_PROMPT_VARIABLE,
)

# -- channel variables call control (dialer.callcontrol) sets with Setvar before a Redirect
TRANSFER_DIAL_VARIABLE: Final = "DIALER_TRANSFER_DIAL"  # dial string of a transfer target (agent phone, trunk)
TRANSFER_QUEUE_VARIABLE: Final = "DIALER_TRANSFER_QUEUE"  # the queue a blind transfer sends the customer to
CALL_CONTROL_VARIABLES: Final = (TRANSFER_DIAL_VARIABLE, TRANSFER_QUEUE_VARIABLE)

# -- the dialplan's own working variables (the dialer never sets them; they show in VarSet and DialerCallEnd)
STAGE_VARIABLE: Final = "DIALER_STAGE"  # how far the answered call got (CONNECTED, SAFE_HARBOUR, OPTOUT ...)
IVR_STAGE: Final = "IVR"  # DIALER_STAGE while an IVR flow (not a queue) has the call
CONNECTED_STAGE: Final = "CONNECTED"  # DIALER_STAGE (and DialerCallEnd's Stage) of a call an agent took
KEY_VARIABLE: Final = "DIALER_KEY"  # the key pressed during the safe-harbour message
LIMIT_VARIABLE: Final = "DIALER_LIMIT"  # the connect limit chosen for this call
CONNECTED_AGENT_VARIABLE: Final = "DIALER_CONNECTED_AGENT"  # the member interface that took the call
AGENT_STATE_VARIABLE: Final = "DIALER_AGENT_STATE"  # the direct agent's device state before Dial()
INBOUND_QUEUE_VARIABLE: Final = "DIALER_INBOUND_QUEUE"  # the queue an inbound route sends callers to
DIALPLAN_VARIABLES: Final = (
    STAGE_VARIABLE,
    KEY_VARIABLE,
    LIMIT_VARIABLE,
    CONNECTED_AGENT_VARIABLE,
    AGENT_STATE_VARIABLE,
    INBOUND_QUEUE_VARIABLE,
)

# -- recording and supervisor monitoring: Originate variables read by [dialer-record] / [dialer-supervise]
RECORDING_VARIABLE: Final = "DIALER_RECORDING"  # the file Asterisk records the call into (recording = "all")
# "1": play the recording consent announcement to the called party before the recording starts ([dialer-record])
RECORDING_CONSENT_VARIABLE: Final = "DIALER_RECORDING_CONSENT"
SPY_TARGET_VARIABLE: Final = "DIALER_SPY_TARGET"  # the spied-on agent's interface (ChanSpy name prefix "<it>-")
MONITORING_VARIABLES: Final = (RECORDING_VARIABLE, RECORDING_CONSENT_VARIABLE, SPY_TARGET_VARIABLE)
# Carried by the supervisor's Originate for the logs only (the dialer's user name); the dialplan never reads it.
SPY_SUPERVISOR_VARIABLE: Final = "DIALER_SPY_SUPERVISOR"
SPY_MODES: Final = ("listen", "whisper", "barge")  # the extensions of dialer-supervise

# Every DIALER_* channel variable of the contract.
VARIABLES: Final = frozenset(
    (
        *ORIGINATE_VARIABLES,
        *GLOBAL_VARIABLES,
        *DIALPLAN_VARIABLES,
        *IVR_VARIABLES,
        *MONITORING_VARIABLES,
        *CALL_CONTROL_VARIABLES,
    )
)
# The prefix the AMI layer keeps VarSet events by (every other VarSet is noise for the dialer).
VARIABLE_PREFIX: Final = "DIALER_"

# -- UserEvents the dialplan raises (AMI class "user"); each carries "Attempt: <DIALER_ATTEMPT>" (empty for inbound)
AMD_USER_EVENT: Final = "DialerAMD"  # Status, Cause: the AMD verdict (production AMI has no VarSet: this is the source)
AGENT_CONNECT_USER_EVENT: Final = "DialerAgentConnect"  # Agent: a direct (non-queue) agent call was bridged
AGENT_COMPLETE_USER_EVENT: Final = "DialerAgentComplete"  # Agent: that direct call ended
# QueueStatus (TIMEOUT, JOINEMPTY, CALLERHANGUP, AGENT_NOANSWER ...); [dialer-ivr] and [dialer-inbound] add Queue
# (Attempt, Queue, QueueStatus): an inbound caller's (dialer-inbound, inbound IVR flows) has an empty Attempt
ABANDON_USER_EVENT: Final = "DialerAbandon"
OPT_OUT_USER_EVENT: Final = "DialerOptOut"  # Campaign: the callee pressed the opt-out key
MESSAGE_MISSING_USER_EVENT: Final = "DialerMessageMissing"  # Prompt: the safe-harbour recording is missing
CALL_END_USER_EVENT: Final = "DialerCallEnd"  # Stage, Agent, QueueStatus, Cause: just before an answered call's Hangup
IVR_TRANSFER_USER_EVENT: Final = "DialerIvrTransfer"  # Call, Queue, Context: a flow hands its caller to a queue
# Status (Playback's PLAYBACKSTATUS: SUCCESS / FAILED): the consent announcement was played before the recording
RECORDING_CONSENT_USER_EVENT: Final = "DialerRecordingConsent"
USER_EVENTS: Final = frozenset(
    (
        RECORDING_CONSENT_USER_EVENT,
        AMD_USER_EVENT,
        AGENT_CONNECT_USER_EVENT,
        AGENT_COMPLETE_USER_EVENT,
        ABANDON_USER_EVENT,
        OPT_OUT_USER_EVENT,
        MESSAGE_MISSING_USER_EVENT,
        CALL_END_USER_EVENT,
        IVR_TRANSFER_USER_EVENT,
    )
)

# -- dialplan contexts of extensions.conf
OUTBOUND_CONTEXT: Final = "dialer-outbound"  # where every Originate continues once answered (campaign default)
DIRECT_AGENT_CONTEXT: Final = "dialer-direct-agent"  # DIALER_AGENT set: Dial() that one phone
SAFE_HARBOUR_CONTEXT: Final = "dialer-safe-harbour"  # nobody took the call: the message and the opt-out key
MACHINE_CONTEXT: Final = "dialer-machine"  # AMD said MACHINE: hang up or leave DIALER_MACHINE_MESSAGE
HANGUP_CONTEXT: Final = "dialer-hangup"  # the h extension (DialerCallEnd), included everywhere
AGENT_AUTOANSWER_CONTEXT: Final = "dialer-agent-autoanswer"  # pre-dial handler of agent legs (auto-answer headers)
AGENT_CONNECTED_CONTEXT: Final = "dialer-agent-connected"  # Dial() option U on the agent leg: DialerAgentConnect
INBOUND_CONTEXT: Final = "dialer-inbound"  # where DIDs send inbound callers
IVR_CONTEXT: Final = "dialer-ivr"  # an answered call runs its IVR flow (FastAGI), agentless or inbound
RECORD_CONTEXT: Final = "dialer-record"  # Gosub from dialer-outbound: MixMonitor(${DIALER_RECORDING},b)
RECORD_CONSENT_EXTEN: Final = "consent"  # ... its extension that plays the consent announcement first
SUPERVISE_CONTEXT: Final = "dialer-supervise"  # Originate to a supervisor's phone: Exten listen|whisper|barge
SUPERVISE_SPY_CONTEXT: Final = "dialer-supervise-spy"  # ... which Dials Local/<mode>@here: ChanSpy runs on that leg
HOLD_CONTEXT: Final = "dialer-hold"  # call control: s = a held customer, agent = the agent's leg meanwhile
TRANSFER_CONTEXT: Final = "dialer-transfer"  # call control: dial = DIALER_TRANSFER_DIAL, queue = DIALER_TRANSFER_QUEUE
CONFERENCE_CONTEXT: Final = "dialer-conference"  # call control: ConfBridge named by the extension (the attempt id)
CONTEXTS: Final = frozenset(
    (
        OUTBOUND_CONTEXT,
        DIRECT_AGENT_CONTEXT,
        SAFE_HARBOUR_CONTEXT,
        MACHINE_CONTEXT,
        HANGUP_CONTEXT,
        AGENT_AUTOANSWER_CONTEXT,
        AGENT_CONNECTED_CONTEXT,
        INBOUND_CONTEXT,
        IVR_CONTEXT,
        RECORD_CONTEXT,
        SUPERVISE_CONTEXT,
        SUPERVISE_SPY_CONTEXT,
        HOLD_CONTEXT,
        TRANSFER_CONTEXT,
        CONFERENCE_CONTEXT,
    )
)
