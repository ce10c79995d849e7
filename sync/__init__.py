"""Exam packages, USB bundles, envelope crypto and the central service.

This package knows events and bytes; it never imports `examkiosk` or `hardware`.
"""
