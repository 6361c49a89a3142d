// The monitor's statistics by form (四种形态) and by disposition (ECharts, served locally):
// one bar per disposition, coloured by the form it counts in; the names come from the
// page's JSON block (the page's language).
(function () {
  'use strict';
  var el = document.getElementById('chart-forms');
  var block = document.getElementById('forms-data');
  if (!el || !block) return;
  var data = JSON.parse(block.textContent);
  var colours = {first: '#1d4f91', no_problem: '#3c9d5d', none: '#8a8f98'};
  var rows = data.dispositions.filter(function (d) { return d.count > 0; }).reverse();
  var chart = echarts.init(el);
  chart.setOption({
    animation: false,
    tooltip: {trigger: 'item', formatter: function (p) {
      return p.name + '<br>' + data.names[p.data.form] + ': ' + p.value;
    }},
    grid: {left: 8, right: 32, top: 8, bottom: 16, containLabel: true},
    xAxis: {type: 'value', minInterval: 1},
    yAxis: {type: 'category', axisLabel: {width: 180, overflow: 'truncate'},
            data: rows.map(function (d) { return data.dispositionNames[d.key]; })},
    series: [{type: 'bar', label: {show: true, position: 'right'},
              data: rows.map(function (d) {
                return {value: d.count, form: d.form,
                        itemStyle: {color: colours[d.form] || '#b36b00'}};
              })}]
  });
  window.addEventListener('resize', function () { chart.resize(); });
})();
