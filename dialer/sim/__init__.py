"""Simulation: the world model, the AMI-speaking simulated PBX, and the fast discrete-event simulator."""
