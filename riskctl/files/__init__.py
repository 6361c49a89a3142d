"""Stored files: the bytes of attachments, study materials and scanned records, kept
outside the database under their SHA-256, with the type judged by content.

A domain keeps its own row for each file it holds (an ``Audited`` row with the digest, the
size and the type, so the SHA-256 is on the audit chain) and asks this package to receive,
open and check the bytes."""
