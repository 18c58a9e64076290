"""Agents: the registry of queue members (pure) and the service that drives it over AMI."""
