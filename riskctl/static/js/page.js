// Behaviour every page shares.  Kept out of the templates: the Content-Security-Policy
// runs no inline code, event handler attributes included.
(function () {
  'use strict';
  // <select data-autosubmit>: choosing another option reloads the page with it (the unit
  // pickers of the processes and risk-values pages; a <noscript> button does it without JS).
  document.addEventListener('change', function (event) {
    var target = event.target;
    if (target.matches && target.matches('select[data-autosubmit]') && target.form) {
      target.form.submit();
    }
  });
})();
