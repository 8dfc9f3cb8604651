"""Staffing by load and time of day (SPEC §15): routing computes, heads read."""
