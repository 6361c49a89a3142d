// The home page's head count per unit (ECharts, served locally); the figures come from
// the page's JSON block.  A file of its own: the Content-Security-Policy runs no inline code.
(function () {
  'use strict';
  var source = document.getElementById('headcount-data');
  var el = document.getElementById('headcount');
  if (!source || !el) return;
  var data = JSON.parse(source.textContent);
  var chart = echarts.init(el);
  chart.setOption({
    grid: {left: 48, right: 16, top: 16, bottom: 32},
    tooltip: {},
    xAxis: {type: 'category', data: data.map(function (u) { return u.name; })},
    yAxis: {type: 'value', minInterval: 1},
    series: [{type: 'bar', data: data.map(function (u) { return u.people; }), itemStyle: {color: '#b22222'}}]
  });
  window.addEventListener('resize', function () { chart.resize(); });
})();
