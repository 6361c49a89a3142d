// The study statistics' chart (ECharts, served locally): completion and pass rates and the
// people overdue per unit, from the page's JSON block; the names from the script tag.
(function () {
  'use strict';
  var el = document.getElementById('chart-study');
  var block = document.getElementById('study-chart-data');
  if (!el || !block || typeof echarts === 'undefined') return;
  var data = JSON.parse(block.textContent);
  var labels = JSON.parse(document.currentScript.dataset.labels);
  var chart = echarts.init(el);
  chart.setOption({
    animation: false, tooltip: {trigger: 'axis'}, legend: {top: 0},
    grid: {left: 48, right: 48, top: 36, bottom: 56},
    xAxis: {type: 'category', data: data.labels, axisLabel: {interval: 0, rotate: 15}},
    yAxis: [{type: 'value', max: 100, axisLabel: {formatter: '{value}%'}},
            {type: 'value', minInterval: 1, name: labels.overdue}],
    series: [
      {name: labels.completion, type: 'bar', barMaxWidth: 48, itemStyle: {color: '#1e7b34'}, data: data.completion},
      {name: labels.pass, type: 'bar', barMaxWidth: 48, itemStyle: {color: '#1d4f91'}, data: data.pass},
      {name: labels.overdue, type: 'line', yAxisIndex: 1, itemStyle: {color: '#d93025'},
       data: data.overdue}
    ]
  });
  window.addEventListener('resize', function () { chart.resize(); });
})();
