"""What the risk domain tells others, so that they act without risk knowing them.

``warning_closed``: a warning was resolved or dismissed by a person.  Sent inside the
caller's transaction, after the event was flushed, with ``session``, ``principal``,
``event`` (the RiskEvent) and ``follow_up`` (what the person asked to follow the
disposition, as given: e.g. who talks and by when; None when nothing was given).  A
receiver writes its own tables in the same transaction (the talk that 谈话提醒 plans, the
study that a rule's red assigns) and may refuse the close by raising a DomainError: then
nothing of it is written.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

warning_closed = _signals.signal("warning-closed")
