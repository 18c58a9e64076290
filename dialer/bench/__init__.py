"""Benchmarks behind `dialer bench` / `make bench`: they print figures, they are not tests."""
