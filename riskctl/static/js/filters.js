// Filter forms: a time preset or a facet applies at once; typing a date switches the
// period to "custom".
(function () {
  'use strict';
  document.querySelectorAll('form[data-autosubmit]').forEach(function (form) {
    form.addEventListener('change', function (event) {
      var field = event.target;
      if (field.type === 'date') {
        var custom = form.querySelector('input[name=period][value=custom]');
        if (custom) custom.checked = true;
        return;  // a range needs both ends: applied with the button
      }
      if (field.name === 'period' && field.value === 'custom') return;
      if (field.name === 'process') {
        var node = form.querySelector('select[name=node]');
        if (node) node.value = '';
      }
      form.submit();
    });
  });
})();
