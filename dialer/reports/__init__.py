"""Reports: compliance evidence, contact-centre performance, call records and the staffing what-if.

Per report a model (frozen dataclasses and the pure arithmetic, each with ``as_json()``: ``compliance``,
``performance``, ``calls``, ``plan``) and its scan (``compliance_scan``, ``performance_scan``: the model fed page by
page from the read-only queries of :mod:`dialer.store.reports`). Renderers apart, one module per format shared by
every report (:mod:`dialer.reports.render`: text, CSV, HTML, SVG, JSON); charts are neutral series
(:mod:`dialer.reports.document`). :func:`dialer.reports.output.render` is the one way to render a report.
"""

from dialer.reports.common import ReportRange

__all__ = ["ReportRange"]
