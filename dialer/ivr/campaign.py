"""An agentless campaign's flow at apply time: found, checked, embedded in the stored campaign, prompts rendered.

``[agentless] flow = "reminder"`` names ``campaigns/ivr/reminder.toml`` next to the campaign file (an inline
``[ivr]`` table is used as it is). ``dialer campaign apply`` refuses a flow with errors (``dialer ivr check``),
stores the flow in the campaign (the database stays the one source of truth the daemons read), and with
``--sounds`` renders its text prompts with the local TTS.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dialer.campaign.config import CampaignConfig
from dialer.ivr.actions import ACTIONS
from dialer.ivr.check import check_flow, errors
from dialer.ivr.flow import Flow, FlowError, load_flow, parse_flow
from dialer.parsing import load_toml

FLOWS_DIR = "ivr"


def flow_path(config: CampaignConfig, campaign_file: Path) -> Path | None:
    if config.agentless.flow is None:
        return None
    return campaign_file.parent / FLOWS_DIR / f"{config.agentless.flow}.toml"


def campaign_flow(config: CampaignConfig, campaign_file: Path) -> tuple[Flow, dict[str, Any]] | None:
    """The agentless campaign's flow and its table; None for agent campaigns. Raises FlowError with every error."""
    if config.kind != "agentless":
        return None
    if config.ivr is not None:
        data: dict[str, Any] = dict(config.ivr)
        flow = parse_flow(data, f"{campaign_file} [ivr]")
    else:
        path = flow_path(config, campaign_file)
        assert path is not None  # the config requires a flow or [ivr]
        flow = load_flow(path)
        data = load_toml(path.read_bytes(), str(path))
    problems = errors(check_flow(flow, actions=ACTIONS))
    if problems:
        raise FlowError(f"flow {flow.name}: " + "; ".join(str(p) for p in problems))
    return flow, data
