// 分析评估 pages (ECharts, served locally): an evaluation's groups (maximum, computed,
// recorded), the profiles' heat map unit × business area and the units' trends.  The data
// and the names come from the page's JSON blocks (in the page's language).
(function () {
  'use strict';
  function data(id) {
    var block = document.getElementById(id);
    return block ? JSON.parse(block.textContent) : null;
  }
  function number(v) { return v === null || v === undefined ? null : parseFloat(v); }
  var groups = data('groups-data');
  var el = document.getElementById('chart-groups');
  if (groups && el) {
    var chart = echarts.init(el);
    chart.setOption({
      animation: false, tooltip: {trigger: 'axis'}, legend: {bottom: 0},
      grid: {left: 8, right: 16, top: 16, bottom: 40, containLabel: true},
      xAxis: {type: 'category', data: groups.groups.map(function (g) { return g.name; })},
      yAxis: {type: 'value'},
      series: ['max', 'score', 'recorded'].map(function (key, n) {
        return {type: 'bar', name: groups.names[key], itemStyle: {color: ['#c9d3e0', '#1d4f91', '#b36b00'][n]},
                data: groups.groups.map(function (g) { return number(g[key]); })};
      })
    });
    window.addEventListener('resize', function () { chart.resize(); });
  }
  var profile = data('profile-data');
  var heat = document.getElementById('chart-heat');
  if (profile && heat) {
    var max = Math.max.apply(null, profile.heat.map(function (h) { return h[2]; }).concat([1]));
    var map = echarts.init(heat);
    map.setOption({
      animation: false, tooltip: {position: 'top'},
      grid: {left: 8, right: 16, top: 8, bottom: 70, containLabel: true},
      xAxis: {type: 'category', data: profile.areas, splitArea: {show: true}, axisLabel: {rotate: 30}},
      yAxis: {type: 'category', data: profile.units, inverse: true, splitArea: {show: true}},
      visualMap: {min: 0, max: max, calculable: true, orient: 'horizontal', left: 'center', bottom: 0,
                  inRange: {color: ['#f7f7f7', '#f3c77a', '#c0392b']}},
      series: [{type: 'heatmap', data: profile.heat.map(function (h) { return [h[1], h[0], h[2] || '-']; }),
                label: {show: true}}]
    });
    window.addEventListener('resize', function () { map.resize(); });
  }
  var trend = document.getElementById('chart-trend');
  if (profile && trend) {
    var lines = echarts.init(trend);
    lines.setOption({
      animation: false, tooltip: {trigger: 'axis'}, legend: {bottom: 0, type: 'scroll'},
      grid: {left: 8, right: 16, top: 16, bottom: 40, containLabel: true},
      xAxis: {type: 'category', data: profile.months}, yAxis: {type: 'value'},
      series: profile.trends.map(function (t) { return {type: 'line', name: t.name, data: t.values}; })
    });
    window.addEventListener('resize', function () { lines.resize(); });
  }
})();
