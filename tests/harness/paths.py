"""Where the repository is: the tests read its shipped files (campaigns/, asterisk/, docs/, the demo) from here."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
