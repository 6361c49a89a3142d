// The warning page's resolve form: the fields of a talk (who talks, by when) or of a
// rectification (who answers for it, the deadline, the measures) show for the
// dispositions that order one; the others are hidden and not sent.
(function () {
  'use strict';
  var select = document.getElementById('disposition');
  if (!select) return;
  var groups = document.querySelectorAll('[data-follow-up]');
  function show() {
    groups.forEach(function (group) {
      var on = group.getAttribute('data-follow-up').split(' ').indexOf(select.value) >= 0;
      group.hidden = !on;
      group.querySelectorAll('input, select, textarea').forEach(function (field) {
        field.disabled = !on;
      });
    });
  }
  select.addEventListener('change', show);
  show();
})();
