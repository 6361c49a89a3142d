"""Integrity education (廉政教育): materials (PDF, video, articles), question banks, study
tasks assigned to the people whose posts carry risk, reading credited from the reading
page's heartbeats, quizzes checked on the server, reminders, statistics — and the facts
of the ``education_overdue`` risk rule, and study assigned when red warnings are resolved
(警示教育).

``spec`` is plain Python (crediting, scoring, drawing, audiences); ``models``,
``library`` (materials, question banks), ``services`` (tasks, audiences), ``study`` (one's
own study), ``statistics``, ``facts`` (the overdue rule's), ``jobs`` (the scheduler's work
and the warnings' signal), ``notices`` (the outbox), ``importer`` (XLSX questions),
``api``, ``views`` and ``demo`` build on it.  docs/education.md describes the module.
"""
