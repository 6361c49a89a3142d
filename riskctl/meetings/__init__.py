"""Collective decisions as meetings (三重一大): the ``meeting`` node kind, its record, and
the counting rules.

``spec`` is plain Python (the definition side and the counting, read by the process
parser and the engine); ``models``/``services``/``api`` persist and serve the records.
Nothing is imported here, so that the process package can read ``spec`` alone.
"""
