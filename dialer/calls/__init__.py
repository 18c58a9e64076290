"""Pure call tracking: typed AMI events in, attempt outcomes out."""

from dialer.calls.outcome import Outcome

__all__ = ["Outcome"]
