"""Pacing (pure): a snapshot of agents, calls and statistics in, calls to place now and why out."""
