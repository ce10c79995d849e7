"""Device drivers: ID card readers, cameras, face verification, and simulated devices.

This package imports neither `examkiosk` nor `sync`: it yields plain frozen records.
"""
