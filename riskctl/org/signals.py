"""What the organisation domain tells others, so that they act without org knowing them.

``post_taken``: a person started holding a post — a new holding was written by
``save_person`` (the API, the admin pages, the CSV import).  Sent inside the caller's
transaction, after the holding was flushed, with ``session``, ``person_id``, ``post_id``,
``unit_id``, ``valid_from``, ``valid_to`` and ``is_leading`` (the post is a leading post,
领导职务).  A receiver writes its own tables in the same transaction (the 任前廉政谈话
that riskctl.supervision plans); a row of the CSV import that fails is rolled back with
whatever its receivers wrote.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

post_taken = _signals.signal("post-taken")
