"""Notify's handlers by area, declared at module level; `app.py` includes them.

An event about an incident notify has not seen registered, or addressed to a user whose
contact point has not arrived, waits parked for that fact (`NotYet`) and is handled in
the transaction that records it (`uow.arrived`): never dropped, whatever the order."""
