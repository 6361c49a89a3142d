"""Talks (谈话) and the supervision ledger (督查工作台账), and the dispositions that are
followed through.

- ``talks``: planning, recording and confirming talks; annual plans of 集体廉政谈话; the
  任前廉政谈话 planned when a person starts holding a leading post (org's ``post_taken``).
- ``ledger``: findings with their measures, progress, evidence, 销号 and 退回.
- ``follow_ups``: a warning resolved with 谈话提醒/约谈函询/诫勉 plans a talk, with
  责令整改 enters a finding (risk's ``warning_closed``); what the warning pages show of it.
- ``facts``: what the risk rules ``talk_overdue`` and ``rectification_overdue`` judge
  (riskctl.risk.rules.supervision); ``reminders``: in-app notices before a due day;
  ``statistics``: dispositions followed through, by form and outcome.

Nothing is imported here, so that the risk rules can read ``facts`` alone.
"""
