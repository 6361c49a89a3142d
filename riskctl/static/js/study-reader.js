// The reading page's heartbeat (廉政教育).  Every few seconds it tells the server how long
// the page was seen since the last heartbeat — visible, and for a video while it plays.
// The server credits at most the wall time since the previous heartbeat (and never more
// than this page claims), so a page left open in a hidden tab earns nothing.
(function () {
  'use strict';
  var box = document.getElementById('study-reader');
  if (!box) return;
  var url = box.dataset.progressUrl;
  var material = Number(box.dataset.material);
  var every = Math.max(5, Number(box.dataset.interval || 30)) * 1000;
  var token = document.querySelector('meta[name="csrf-token"]').content;
  var video = document.querySelector('video.study-video');
  var bar = document.getElementById('study-progress');
  var shown = document.getElementById('study-seconds');
  var state = document.getElementById('study-state');
  var problem = document.getElementById('study-error');
  var seen = 0;
  var last = performance.now();

  function counting() {
    return document.visibilityState === 'visible' && (!video || !video.paused);
  }
  function tick() {
    var now = performance.now();
    if (counting()) seen += (now - last) / 1000;
    last = now;
  }
  function minutes(seconds) {
    var s = seconds % 60;
    return Math.floor(seconds / 60) + '′' + (s < 10 ? '0' : '') + s + '″';
  }
  function beat() {
    tick();
    var claimed = Math.min(3600, Math.round(seen));
    seen -= claimed;
    return fetch(url, {
      method: 'POST', credentials: 'same-origin',
      headers: {'Content-Type': 'application/json', 'X-CSRFToken': token},
      body: JSON.stringify({material: material, seconds: claimed})
    }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.json();
    }).then(function (found) {
      problem.hidden = true;
      bar.max = found.required_seconds;
      bar.value = Math.min(found.seconds, found.required_seconds);
      shown.textContent = minutes(found.seconds);
      if (found.is_read) state.hidden = false;
      box.dataset.seconds = String(found.seconds);
    }).catch(function () {
      seen += claimed;  // not credited: claimed again with the next heartbeat
      problem.textContent = box.dataset.errorLabel;
      problem.hidden = false;
    });
  }
  document.addEventListener('visibilitychange', tick);
  if (video) { video.addEventListener('play', tick); video.addEventListener('pause', tick); }
  beat();  // the first heartbeat starts the server's clock
  setInterval(beat, every);
  window.addEventListener('pagehide', function () {
    tick();
    var claimed = Math.min(3600, Math.round(seen));
    if (claimed > 0) {
      fetch(url, {method: 'POST', credentials: 'same-origin', keepalive: true,
                  headers: {'Content-Type': 'application/json', 'X-CSRFToken': token},
                  body: JSON.stringify({material: material, seconds: claimed})}).catch(function () {});
    }
  });
})();
