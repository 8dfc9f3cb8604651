"""sla's tables, and the only modules that speak SQL to them: an incident's clocks
(`clocks`), contracts and calendars (`contracts`), the statistics (`reports`)."""
