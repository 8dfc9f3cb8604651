"""Intake's handlers by area; `intake.app` includes each area's `handlers`.

categories (the tree), incidents (create, read, reclassify), entries (replies, notes,
attachments), status (status changes, rating, auto-close), search (lists, counts,
states for routing) and events (what other services decided: assignee, due times).
"""
