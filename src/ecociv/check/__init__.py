"""Checking a run against published figures: the reference table (``reference.py``), the places
it names (``places.py``), how each row is answered from a run (``evaluate.py``, a registry of
evaluators by place kind) and the report (``report.py``)."""
