"""The report renderers, one module per format, each shared by every report: ``text`` (terminal), ``csv``
(formula-safe, long format), ``html`` (printable page), ``svg`` (bar charts), ``json`` (the reports' ``as_json``
documents). The models (``dialer.reports.compliance``, ``performance``, ``calls``, ``plan``) know nothing of them;
:func:`dialer.reports.output.render` is the one way the CLI and the web console turn a report into a format."""
