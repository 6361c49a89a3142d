"""Attachments (附件): the files that are an item's evidence — procurement files,
contracts, acceptance reports, minutes — on an item or one of its steps.

``content`` (the type check and the file name) and ``storage`` (content-addressed files
outside the database) are plain Python; ``models``/``services``/``api``/``views``/``cli``
persist, serve and verify the records.
"""
