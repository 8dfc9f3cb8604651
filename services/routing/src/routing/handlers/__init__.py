"""Routing's handlers by area, declared at module level; `app.py` includes them."""
