"""IVR flows: the flow model (flow.py), its checker (check.py), the pure executor (executor.py)."""
