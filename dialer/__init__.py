"""A compliant-by-default predictive outbound dialer for Asterisk."""

__version__ = "0.1.0"
