"""Each area's handlers: equipment, imports, service informing."""
