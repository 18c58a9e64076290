"""Supervisor monitoring: listen, whisper, barge on a live call, from the supervisor's phone; audited."""
