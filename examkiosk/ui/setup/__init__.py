"""First run in the window: the set-up page a fresh install opens (no terminal needed)."""
