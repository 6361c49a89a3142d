// Two versions of a process side by side, what changed coloured on each: added (green)
// and changed (orange) on the newer, removed (red) and changed on the older.  The
// changes come from riskctl.process.compare, keyed by the ids of the versions' BPMN.
(function () {
  'use strict';
  var shared = window.RiskctlBpmn;
  var config = shared.readJson('diff-config');

  function show(container, url, marks) {
    var viewer = new BpmnJS({container: container,
                             moddleExtensions: {riskctl: shared.descriptor},
                             additionalModules: [shared.translateModule(config.modeler_words)]});
    return shared.fetchText(url).then(function (xml) {
      return viewer.importXML(xml);
    }).then(function () {
      var canvas = viewer.get('canvas');
      var registry = viewer.get('elementRegistry');
      canvas.zoom('fit-viewport');
      Object.keys(marks).forEach(function (id) {
        if (registry.get(id)) { canvas.addMarker(id, 'riskctl-' + marks[id]); }
      });
    });
  }

  show('#old', config.old, config.changes.old);
  show('#new', config.new, config.changes.new);
})();
