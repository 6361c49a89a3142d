// Starts Swagger UI on /api/docs from the page's JSON block (flask-smorest's settings).
// A file of its own: the Content-Security-Policy runs no inline code.
(function () {
  'use strict';
  var given = JSON.parse(document.getElementById('swagger-ui-config').textContent);
  var config = {url: given.url, dom_id: given.dom_id};
  Object.keys(given.override || {}).forEach(function (name) { config[name] = given.override[name]; });
  window.addEventListener('load', function () { window.ui = SwaggerUIBundle(config); });
})();
