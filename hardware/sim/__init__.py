"""Simulated devices: real drivers behind the same interfaces, chosen by configuration."""
