// Long form posts (imports, uploads, previews): say that the work is under way and keep
// the button from being pressed twice.
(function () {
  'use strict';
  document.querySelectorAll('form[enctype="multipart/form-data"], form[data-busy]').forEach(function (form) {
    form.addEventListener('submit', function () {
      var note = form.querySelector('.busy');
      if (note) note.hidden = false;
      setTimeout(function () {
        form.querySelectorAll('button[type=submit]').forEach(function (b) { b.disabled = true; });
      }, 0);  // after the browser has read which button was pressed
    });
  });
})();
