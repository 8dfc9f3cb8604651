"""sla's handlers by area, declared at module level; `app.py` includes them. Each
translates an incident's change into stored facts and lets `clocks.refresh` recompute
deadlines, protocol and timers."""
