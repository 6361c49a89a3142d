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
  // The menu button of narrow screens (phones): opens and closes the sidebar in place.
  // Without JS its link to #sidebar opens it by :target (app.css).
  var toggle = document.querySelector('.menu-toggle');
  var menu = document.getElementById('sidebar');
  if (toggle && menu) {
    toggle.addEventListener('click', function (event) {
      event.preventDefault();
      var open = menu.classList.toggle('open');
      toggle.setAttribute('aria-expanded', open ? 'true' : 'false');
    });
    toggle.addEventListener('keydown', function (event) {  // a role=button answers Space too
      if (event.key === ' ') { event.preventDefault(); toggle.click(); }
    });
    document.addEventListener('keydown', function (event) {
      if (event.key === 'Escape' && menu.classList.contains('open')) {
        menu.classList.remove('open');
        toggle.setAttribute('aria-expanded', 'false');
        toggle.focus();
      }
    });
  }
})();
