"""Writes for tasks, one module per area (studies, imports, blinding, pairing, gold).

Other helpers may add their own modules here (e.g. the assignment engine).
"""
