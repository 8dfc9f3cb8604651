"""Service packages (SPEC §12): sla counts and decides; the gateway asks before
filing and shows clients and staff the package."""
