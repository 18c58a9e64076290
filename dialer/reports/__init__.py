"""Reports: compliance evidence, contact-centre performance, call records and the staffing what-if.

The arithmetic is pure (typed rows in, frozen dataclasses out, each with ``as_json()``); the rows come from the
read-only queries in :mod:`dialer.store.reports`. Renderers (text, CSV, HTML, SVG) are pure functions too.
"""

from dialer.reports.common import ReportRange

__all__ = ["ReportRange"]
