// Exports with a progress indication: the file is fetched in the background while the
// link says so, then saved under the server's file name with the number of rows.
(function () {
  'use strict';
  document.addEventListener('click', function (event) {
    var link = event.target.closest('a.export');
    if (!link || !window.fetch) return;
    event.preventDefault();
    var status = link.parentElement.querySelector('.export-status');
    var lang = document.documentElement.lang;
    var say = function (zh, en) { if (status) status.textContent = lang === 'zh-CN' ? zh : en; };
    if (link.dataset.busy) return;
    link.dataset.busy = '1';
    say('正在生成文件…', 'Preparing the file…');
    fetch(link.href, {credentials: 'same-origin'}).then(function (response) {
      if (!response.ok) throw new Error('HTTP ' + response.status);
      var match = /filename="([^"]+)"/.exec(response.headers.get('Content-Disposition') || '');
      var rows = response.headers.get('X-Rows');
      return response.blob().then(function (blob) {
        var a = document.createElement('a');
        a.href = URL.createObjectURL(blob);
        a.download = match ? match[1] : 'export';
        document.body.appendChild(a);
        a.click();
        setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
        say('已导出 ' + rows + ' 行', rows + ' rows exported');
      });
    }).catch(function (err) {
      say('导出失败：' + err.message, 'Export failed: ' + err.message);
    }).finally(function () { delete link.dataset.busy; });
  });
})();
