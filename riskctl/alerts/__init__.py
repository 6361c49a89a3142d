"""Warnings that reach people: the notification outbox, routing, SMS, the big screen.

A change of a risk event (raised, upgraded, escalated, closed) writes its notifications
in the same transaction (``outbox``); the scheduler's dispatcher sends the SMS among them
(``dispatch``, ``sms``); pushes to the screen and to in-app bells go out after the commit
(``push``), and a client that missed one catches up from a snapshot (``screen``).
"""
