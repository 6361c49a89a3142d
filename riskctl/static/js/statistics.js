// The monitor's statistics charts (ECharts, served locally): the figures come from the
// page's JSON block, the series names from the script tag (the page's language).
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('stats-data').textContent);
  var labels = JSON.parse(document.currentScript.dataset.labels);
  var colours = {red: '#d93025', orange: '#f08c00', yellow: '#f0c419'};
  var charts = [];

  function draw(id, option) {
    var el = document.getElementById(id);
    if (!el) return;
    var chart = echarts.init(el);
    chart.setOption(Object.assign({tooltip: {trigger: 'axis'}, animation: false}, option));
    charts.push(chart);
  }
  function levelSeries(groups, horizontal) {
    return ['red', 'orange', 'yellow'].map(function (level) {
      return {name: labels[level], type: 'bar', stack: 'level', itemStyle: {color: colours[level]},
              data: groups.map(function (g) { return g[level]; })};
    });
  }
  function names(groups) { return groups.map(function (g) { return g.label; }); }

  draw('chart-day', {
    legend: {top: 0}, grid: {left: 40, right: 16, top: 32, bottom: 48},
    xAxis: {type: 'category', data: names(data.day)},
    yAxis: {type: 'value', minInterval: 1},
    dataZoom: data.day.length > 45 ? [{type: 'slider', bottom: 8}] : [],
    series: levelSeries(data.day)
  });
  draw('chart-level', {
    tooltip: {trigger: 'item'}, legend: {bottom: 0},
    series: [{type: 'pie', radius: ['45%', '70%'], label: {formatter: '{b}: {c}'},
              data: data.level.map(function (g) {
                return {name: g.label, value: g.count, itemStyle: {color: colours[g.key]}};
              })}]
  });
  draw('chart-unit', {
    legend: {top: 0}, grid: {left: 40, right: 48, top: 32, bottom: 64},
    xAxis: {type: 'category', data: names(data.unit), axisLabel: {interval: 0, rotate: 20}},
    yAxis: [{type: 'value', minInterval: 1}, {type: 'value', name: labels.mean, max: 100}],
    series: levelSeries(data.unit).concat([{
      name: labels.mean, type: 'line', yAxisIndex: 1, itemStyle: {color: '#1d4f91'},
      data: data.unit.map(function (g) { return g.mean; })}])
  });
  function ranking(id, groups) {
    var top = groups.slice(0, 10).reverse();
    draw(id, {
      legend: {top: 0}, grid: {left: 8, right: 24, top: 32, bottom: 16, containLabel: true},
      xAxis: {type: 'value', minInterval: 1},
      yAxis: {type: 'category', data: names(top), axisLabel: {width: 180, overflow: 'truncate'}},
      series: levelSeries(top)
    });
  }
  ranking('chart-rule', data.rule);
  ranking('chart-node', data.node.filter(function (g) { return g.key !== '-'; }));
  window.addEventListener('resize', function () { charts.forEach(function (c) { c.resize(); }); });
})();
