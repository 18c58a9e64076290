"""Typer sub-commands, one module per command group; registered in dialer.cli."""
