// The person form: the post lists follow the chosen unit (each unit has its own posts).
(function () {
  'use strict';
  var form = document.getElementById('person');
  if (!form) return;
  var posts = JSON.parse(form.dataset.unitPosts);
  var unit = form.querySelector('#unit');
  unit.addEventListener('change', function () {
    var offered = posts[unit.value] || [];
    form.querySelectorAll('select[name$="-code"]').forEach(function (select) {
      var kept = select.value;
      select.replaceChildren(new Option('—', ''));
      offered.forEach(function (pair) {
        select.add(new Option(pair[1], pair[0], false, pair[0] === kept));
      });
    });
  });
})();
