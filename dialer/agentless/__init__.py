"""Agentless campaigns: pacing by trunk capacity, CPS and a target finish time (pacing.py); results (results.py)."""
