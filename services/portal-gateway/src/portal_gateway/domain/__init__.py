"""The gateway by area: each area's use cases (service), schemas, API and pages."""
