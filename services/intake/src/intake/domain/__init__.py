"""Pure rules of intake: the incident life cycle and who may see what.

No I/O lives here so the HTTP handlers, the message consumers and the SQL filters
all apply one set of rules that the unit tests can enumerate exhaustively.
"""
