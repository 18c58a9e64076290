"""A campaign's script: its own template or its regime's preset, rendered for one call."""

from __future__ import annotations

from collections.abc import Mapping

from dialer.campaign.config import CampaignConfig, RecordingMode
from dialer.scripts.sections import render_sections
from dialer.scripts.template import ScriptContext, preset, render_html, render_text


def recorded(config: CampaignConfig) -> bool:
    return config.recording is not RecordingMode.NONE


def template_of(config: CampaignConfig) -> str:
    """The campaign's template; without one, its regime's preset (with the recording notice when it applies)."""
    if config.script is not None:
        return config.script
    notice = config.recording_notice if config.recording_notice is not None else recorded(config)
    return preset(config.regime.value, recorded=notice)


def context_for(
    config: CampaignConfig,
    *,
    agent: str,
    first_name: str | None,
    last_name: str | None,
    phone: str,
    fields: Mapping[str, object] | None,
) -> ScriptContext:
    return ScriptContext(
        first_name=first_name or "",
        last_name=last_name or "",
        phone=phone,
        agent=agent,
        company=config.caller_id.name or config.name,
        campaign=config.name,
        callback_number=config.caller_id.number,
        fields=fields,
    )


def rendered(config: CampaignConfig, context: ScriptContext) -> dict[str, object]:
    """The script as escaped HTML (line breaks kept) and as plain text, with its sections (the branches the agent
    can move to), rendered the same way."""
    template = template_of(config)
    return {
        "html": render_html(template, context),
        "text": render_text(template, context),
        "sections": render_sections(config.script_sections, context),
    }
