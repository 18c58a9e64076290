"""A campaign's effective settings written as the campaign file that reads back to them (the web editor's text).

Only what differs from a field's default is written, so the file stays the size of one a person writes; what a
regime's preset filled in (calling window, abandon window) is written out, since it is part of the campaign now.
``load_campaign(tomllib.loads(campaign_toml(c)))`` equals ``c``.
"""

from __future__ import annotations

from typing import Any

import tomli_w

from dialer.campaign.config import CampaignConfig


def campaign_toml(config: CampaignConfig) -> str:
    """The campaign file of ``config`` (TOML), its name first."""
    document = _without_nulls(config.model_dump(mode="json", exclude_defaults=True))
    document = {"name": config.name, **{k: v for k, v in document.items() if k != "name"}}
    return tomli_w.dumps(document)


def _without_nulls(value: Any) -> Any:
    """TOML has no null: an unset optional value is simply not written (it reads back as unset)."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value if v is not None]
    return value
