// Dispositions followed through (ECharts, served locally): per disposition, the talks and
// rectifications done by their due day, late, and under way, stacked.  Words come from the
// page's JSON block, in the page's language.
(function () {
  'use strict';
  var el = document.getElementById('chart-follow-ups');
  var block = document.getElementById('follow-up-data');
  if (!el || !block) return;
  var data = JSON.parse(block.textContent);
  var colours = {held: '#3c9d5d', late: '#d93025', open: '#1d4f91'};
  var chart = echarts.init(el);
  chart.setOption({
    animation: false,
    tooltip: {trigger: 'axis', axisPointer: {type: 'shadow'}},
    legend: {bottom: 0},
    grid: {left: 8, right: 24, top: 8, bottom: 32, containLabel: true},
    xAxis: {type: 'value', minInterval: 1},
    yAxis: {type: 'category', data: data.chart.labels},
    series: ['held', 'late', 'open'].map(function (key) {
      return {name: data.names[key], type: 'bar', stack: 'all', data: data.chart[key],
              itemStyle: {color: colours[key]}, label: {show: true, formatter: function (p) {
                return p.value ? p.value : '';
              }}};
    })
  });
  window.addEventListener('resize', function () { chart.resize(); });
})();
