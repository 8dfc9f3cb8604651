"""assets: equipment, its terms, and service informing (SPEC §13)."""
