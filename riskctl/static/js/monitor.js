// The monitor's live list: the server signals over Socket.IO that a warning of a unit in
// reach was raised or closed; the page reloads its table (same filters) and marks the
// rows it had not shown.  A reconnect reloads too, so nothing missed while offline stays
// missing.
(function () {
  'use strict';
  var script = document.currentScript;
  var list = document.getElementById('warning-list');
  if (!list || typeof io === 'undefined') return;
  var notice = document.getElementById('new-warnings');
  var live = document.getElementById('live');
  var pending = null;

  function shown() {
    return Array.prototype.map.call(list.querySelectorAll('tr[data-event]'),
                                    function (row) { return row.dataset.event; });
  }
  function reload() {
    pending = null;
    var before = shown();
    var url = new URL(window.location.href);
    url.searchParams.set('partial', '1');
    fetch(url, {credentials: 'same-origin'}).then(function (r) {
      if (!r.ok) throw new Error('HTTP ' + r.status);
      return r.text();
    }).then(function (html) {
      var box = document.createElement('div');
      box.innerHTML = html;
      var fresh = box.firstElementChild;
      list.replaceWith(fresh);
      list = fresh;
      var added = shown().filter(function (id) { return before.indexOf(id) < 0; });
      added.forEach(function (id) {
        list.querySelector('tr[data-event="' + id + '"]').classList.add('fresh');
      });
      if (added.length) {
        notice.textContent = script.dataset.new.replace('{n}', added.length);
        notice.hidden = false;
      }
    }).catch(function (err) { console.warn('warning list not reloaded:', err.message); });
  }
  function soon() { if (!pending) pending = setTimeout(reload, 400); }

  var socket = io('/screen', {transports: ['websocket', 'polling']});
  var connectedOnce = false;
  socket.on('connect', function () {
    live.hidden = false;
    if (connectedOnce) soon();
    connectedOnce = true;
  });
  socket.on('disconnect', function () { live.hidden = true; });
  socket.on('risk_event', soon);
})();
