// The process designer: bpmn-js's modeler limited to what riskctl runs, a side panel of
// pickers for riskctl's attributes, the validator's problems on the elements (checked
// through the API on every change), saving a draft and publishing it.
// BPMN is the only model here: every attribute lives in the diagram (namespace riskctl,
// see designer-shared.js), and the server reads it back (riskctl.process.bpmn).
(function () {
  'use strict';

  var shared = window.RiskctlBpmn;
  var el = shared.el;
  var config = shared.readJson('designer-config');
  var W = config.words;
  var postNames = {};
  config.posts.forEach(function (p) { postNames[p[0]] = p[1]; });
  var DECISIONS = config.decisions;
  var OPS = ['==', '!=', '>', '>=', '<', '<='];
  var LIST_OPS = ['in', 'not_in'];
  var ORDERED = {money: true, int: true, date: true};

  // ------------------------------------------------------------ the modeler, limited

  function LimitPalette(palette, create, elementFactory, bpmnFactory, moddle) {
    palette.registerProvider(100, this);
    function shape(type, name, meeting) {
      var bo = bpmnFactory.create(type, name ? {name: name} : {});
      if (meeting) {
        var ext = bpmnFactory.create('bpmn:ExtensionElements', {values: []});
        var settings = moddle.create('riskctl:Meeting', {quorum: 'half'});
        settings.$parent = ext;
        ext.values.push(settings);
        ext.$parent = bo;
        bo.extensionElements = ext;
      }
      return elementFactory.createShape({type: type, businessObject: bo});
    }
    function entry(group, className, title, type, name, meeting) {
      function start(event) { create.start(event, shape(type, name, meeting)); }
      return {group: group, className: className, title: title,
              action: {dragstart: start, click: start}};
    }
    this.getPaletteEntries = function () {
      return function (entries) {
        var kept = {};
        ['hand-tool', 'lasso-tool', 'space-tool', 'global-connect-tool', 'tool-separator']
          .forEach(function (key) { if (entries[key]) { kept[key] = entries[key]; } });
        kept['create.start-event'] = entry('event', 'bpmn-icon-start-event-none', W.start,
                                           'bpmn:StartEvent');
        kept['create.task'] = entry('activity', 'bpmn-icon-user-task', W.task, 'bpmn:UserTask');
        kept['create.meeting'] = entry('activity', 'bpmn-icon-task riskctl-palette-meeting',
                                       W.meeting, 'bpmn:UserTask', W.meeting, true);
        kept['create.exclusive-gateway'] = entry('gateway', 'bpmn-icon-gateway-xor', W.exclusive,
                                                 'bpmn:ExclusiveGateway');
        kept['create.parallel-gateway'] = entry('gateway', 'bpmn-icon-gateway-parallel',
                                                W.parallel, 'bpmn:ParallelGateway');
        kept['create.end-event'] = entry('event', 'bpmn-icon-end-event-none', W.end,
                                         'bpmn:EndEvent');
        return kept;
      };
    };
  }
  LimitPalette.$inject = ['palette', 'create', 'elementFactory', 'bpmnFactory', 'moddle'];

  var CONTEXT = ['append.end-event', 'append.gateway', 'append.append-task', 'connect',
                 'delete', 'replace'];
  function LimitContextPad(contextPad) {
    contextPad.registerProvider(100, this);
    this.getContextPadEntries = function () {
      return function (entries) {
        var kept = {};
        CONTEXT.forEach(function (key) { if (entries[key]) { kept[key] = entries[key]; } });
        return kept;
      };
    };
  }
  LimitContextPad.$inject = ['contextPad'];

  var REPLACE = ['replace-with-task', 'replace-with-user-task', 'replace-with-exclusive-gateway',
                 'replace-with-parallel-gateway', 'replace-with-none-start',
                 'replace-with-none-end'];
  function LimitReplace(popupMenu) {
    popupMenu.registerProvider('bpmn-replace', 100, this);
    this.getPopupMenuEntries = function () {
      return function (entries) {
        var kept = {};
        REPLACE.forEach(function (key) { if (entries[key]) { kept[key] = entries[key]; } });
        return kept;
      };
    };
    this.getPopupMenuHeaderEntries = function () {
      return function () { return {}; };
    };
  }
  LimitReplace.$inject = ['popupMenu'];

  var modeler = new BpmnJS({
    container: '#canvas',
    moddleExtensions: {riskctl: shared.descriptor},
    additionalModules: [
      shared.translateModule(config.modeler_words),
      {__init__: ['riskctlPalette', 'riskctlContextPad', 'riskctlReplace'],
       riskctlPalette: ['type', LimitPalette], riskctlContextPad: ['type', LimitContextPad],
       riskctlReplace: ['type', LimitReplace]}
    ]
  });
  var canvas = modeler.get('canvas');
  var modeling = modeler.get('modeling');
  var registry = modeler.get('elementRegistry');
  var moddle = modeler.get('moddle');
  var bpmnFactory = modeler.get('bpmnFactory');
  var overlays = modeler.get('overlays');
  var eventBus = modeler.get('eventBus');
  var selection = modeler.get('selection');

  var state = {key: null, conditions: {}, problems: [], ok: false, dirty: false, saved: false,
               checking: 0, picking: null};
  var panel = document.getElementById('panel');
  var statusLine = document.getElementById('status');
  var problemsBox = document.getElementById('problems');
  var saveButton = document.getElementById('save');
  var publishButton = document.getElementById('publish');
  var compareLink = document.getElementById('compare');

  function is(element, type) {
    var bo = element && element.businessObject;
    return !!bo && bo.$instanceOf(type);
  }
  function isTask(element) { return is(element, 'bpmn:Task'); }
  function root() { return canvas.getRootElement(); }
  function processBo() { return root().businessObject; }
  function get(bo, name) {
    var value = bo.get('riskctl:' + name);
    return value === undefined || value === null ? '' : String(value);
  }
  function extensions(bo, type) {
    var ext = bo.extensionElements;
    return ext ? (ext.values || []).filter(function (v) { return v.$instanceOf(type); }) : [];
  }
  function meetingOf(bo) { return extensions(bo, 'riskctl:Meeting')[0] || null; }
  function withExtensions(bo, type, values) {
    // A new extensionElements: the others kept, those of ``type`` replaced by ``values``.
    var others = bo.extensionElements ? (bo.extensionElements.values || []).filter(function (v) {
      return !v.$instanceOf(type);
    }) : [];
    var ext = bpmnFactory.create('bpmn:ExtensionElements', {values: others.concat(values)});
    ext.values.forEach(function (v) { v.$parent = ext; });
    return ext;
  }
  function setAttr(element, name, value) {
    var props = {};
    props['riskctl:' + name] = value === '' ? undefined : value;
    modeling.updateProperties(element, props);
  }
  function setProcess(props) {
    modeling.updateModdleProperties(root(), processBo(), props);
  }
  function fields() {
    return extensions(processBo(), 'riskctl:Field').map(function (f) {
      return {key: f.key || '', label: f.label || '', type: f.type || 'text',
              required: f.required === 'true', counterparty: f.counterparty === 'true',
              process: f.process || '',
              choices: (f.choices || []).map(function (c) { return c.value || ''; })};
    });
  }
  function fieldMap() {
    var found = {};
    fields().forEach(function (f) { found[f.key] = f; });
    return found;
  }
  function label(element) {
    var bo = element.businessObject;
    if (bo.name) { return bo.name; }
    if (is(element, 'bpmn:StartEvent')) { return W.start; }
    if (is(element, 'bpmn:EndEvent')) { return W.end; }
    if (is(element, 'bpmn:ExclusiveGateway')) { return W.exclusive; }
    if (is(element, 'bpmn:ParallelGateway')) { return W.parallel; }
    if (is(element, 'bpmn:Association')) { return W.pair; }
    if (is(element, 'bpmn:SequenceFlow')) { return W.flow; }
    return bo.id;
  }

  // ------------------------------------------------------------ conditions

  function literal(value) {
    if (Array.isArray(value)) { return '[' + value.map(literal).join(', ') + ']'; }
    if (value === true || value === false) { return value ? 'true' : 'false'; }
    return JSON.stringify(value);
  }
  // The same text riskctl.process.expressions.render writes, read back by the server.
  function render(when) {
    if (when.all || when.any) {
      var parts = (when.all || when.any).map(function (p) {
        var text = render(p);
        return p.all || p.any ? '(' + text + ')' : text;
      });
      return parts.join(when.all ? ' and ' : ' or ');
    }
    if (when.decision !== undefined) {
      return Array.isArray(when.decision) ? 'decision in ' + literal(when.decision)
        : 'decision == ' + literal(when.decision);
    }
    var op = when.op === 'not_in' ? 'not in' : when.op;
    return when.field + ' ' + op + ' ' + literal(when.value);
  }
  function opWord(op) { return W['op_' + {'==': 'eq', '!=': 'ne', '>': 'gt', '>=': 'ge',
                                           '<': 'lt', '<=': 'le'}[op]] || W['op_' + op]; }
  function words(when) {
    // The condition in words, shown beside the arrow (for people; the expression counts).
    if (when.all || when.any) {
      return (when.all || when.any).map(words).join(when.all ? ' 且 ' : ' 或 ');
    }
    if (when.decision !== undefined) {
      return [].concat(when.decision).map(function (d) { return decisionLabel(d); }).join('/');
    }
    var spec = fieldMap()[when.field];
    var value = Array.isArray(when.value) ? when.value.join('、') : when.value;
    if (value === true || value === false) { value = value ? W.yes : W.no; }
    return (spec ? spec.label : when.field) + ' ' + opWord(when.op) + ' ' + value;
  }
  function decisionLabel(key) {
    var found = null;
    registry.getAll().forEach(function (element) {
      extensions(element.businessObject, 'riskctl:Decision').forEach(function (d) {
        if (d.key === key && d.label) { found = d.label; }
      });
    });
    return found || DECISIONS[key] || key;
  }
  function conditionOf(flow) {
    var bo = flow.businessObject;
    if (state.conditions[bo.id]) { return state.conditions[bo.id]; }
    return null;
  }
  function setCondition(flow, when) {
    var bo = flow.businessObject;
    var source = flow.source;
    var props = {};
    if (when === 'default') {
      state.conditions[bo.id] = null;
      modeling.updateProperties(flow, {conditionExpression: undefined, name: W.otherwise});
      modeling.updateProperties(source, {'default': bo});
      return;
    }
    if (source.businessObject.default === bo) {
      modeling.updateProperties(source, {'default': undefined});
    }
    if (!when) {
      state.conditions[bo.id] = null;
      modeling.updateProperties(flow, {conditionExpression: undefined, name: undefined});
      return;
    }
    state.conditions[bo.id] = when;
    props.conditionExpression = moddle.create('bpmn:FormalExpression', {body: render(when)});
    props.name = words(when);
    modeling.updateProperties(flow, props);
  }

  // ------------------------------------------------------------ loading

  function load() {
    shared.fetchText(config.source).then(function (xml) {
      return modeler.importXML(xml);
    }).then(function () {
      fit();
      state.key = get(processBo(), 'key');
      state.saved = false;
      decorate();
      renderPanel();
      check();
    }).catch(function (error) {
      statusLine.textContent = W.loading_failed;
      console.error(error);
    });
  }

  function fit() {
    // The whole process when it fits readably; else its start, readable, right of the palette.
    canvas.zoom('fit-viewport');
    if (canvas.viewbox().scale < 0.75) {
      canvas.zoom(0.75);
      var box = canvas.viewbox();
      canvas.viewbox({x: -90, y: -30, width: box.width, height: box.height});
    }
  }

  // ------------------------------------------------------------ marks on the diagram

  function decorate() {
    overlays.remove({type: 'riskctl-mark'});
    registry.getAll().forEach(function (element) {
      var bo = element.businessObject;
      canvas.removeMarker(element, 'riskctl-pair');
      canvas.removeMarker(element, 'riskctl-pair-flag');
      canvas.removeMarker(element, 'riskctl-meeting');
      if (is(element, 'bpmn:Association') && get(bo, 'mode')) {
        canvas.addMarker(element, 'riskctl-pair');
        if (get(bo, 'mode') === 'flag') { canvas.addMarker(element, 'riskctl-pair-flag'); }
        var points = element.waypoints || [];
        if (points.length >= 2) {
          var half = Math.floor((points.length - 1) / 2);  // the middle segment's middle
          var mid = {x: (points[half].x + points[half + 1].x) / 2,
                     y: (points[half].y + points[half + 1].y) / 2};
          overlays.add(element, 'riskctl-mark', {
            position: {left: mid.x - element.x - 8, top: mid.y - element.y - 10},
            html: el('span', {className: 'riskctl-pair-mark', title: get(bo, 'pairName') || W.pair,
                              text: '⊘'})
          });
        }
      }
      if (isTask(element) && meetingOf(bo)) {
        canvas.addMarker(element, 'riskctl-meeting');
        overlays.add(element, 'riskctl-mark', {position: {top: -10, left: 4},
                     html: el('span', {className: 'riskctl-badge meeting', text: W.meeting})});
      }
      if (get(bo, 'watch') === 'true') {
        overlays.add(element, 'riskctl-mark', {position: {bottom: 6, left: 4},
                     html: el('span', {className: 'riskctl-badge watch', text: W.risk_node})});
      }
    });
  }

  var checkTimer = null;
  function changed() {
    state.dirty = true;
    state.saved = false;
    publishButton.disabled = true;
    statusLine.textContent = W.unsaved;
    clearTimeout(checkTimer);
    checkTimer = setTimeout(check, 500);
  }

  function check() {
    var mine = ++state.checking;
    statusLine.textContent = W.checking;
    return modeler.saveXML().then(function (result) {
      return fetch(config.validate, {
        method: 'POST', credentials: 'same-origin', body: result.xml,
        headers: {'Content-Type': 'application/xml', 'X-CSRFToken': shared.csrf(),
                  Accept: 'application/json'}
      });
    }).then(function (response) {
      return response.json().then(function (body) { return {status: response.status, body: body}; });
    }).then(function (answer) {
      if (mine !== state.checking) { return; }  // a newer check is on its way
      if (answer.status !== 200) {
        showProblems({ok: false, problems: answer.body.error.details.length
          ? answer.body.error.details : [{path: '', message: answer.body.error.message}],
                      refused: [], notes: []});
        return;
      }
      Object.keys(answer.body.conditions).forEach(function (id) {
        state.conditions[id] = answer.body.conditions[id];
      });
      showProblems(answer.body);
    }).catch(function () { /* the next change checks again */ });
  }

  function showProblems(result) {
    state.problems = result.problems.concat(result.refused);
    state.ok = result.ok;
    overlays.remove({type: 'riskctl-problem'});
    registry.getAll().forEach(function (element) {
      canvas.removeMarker(element, 'riskctl-problem');
    });
    var byElement = {};
    var unplaced = [];
    state.problems.forEach(function (p) {
      var element = p.element && registry.get(p.element);
      if (element && element !== root()) {
        (byElement[p.element] = byElement[p.element] || []).push(p);
      } else {
        unplaced.push(p);
      }
    });
    Object.keys(byElement).forEach(function (id) {
      var element = registry.get(id);
      canvas.addMarker(element, 'riskctl-problem');
      var said = byElement[id].map(function (p) { return p.message; }).join('\n');
      var at = element.waypoints ? {left: element.waypoints[0].x - element.x, top: -6}
        : {top: -12, right: 12};
      overlays.add(element, 'riskctl-problem', {position: at, html: el('span', {
        className: 'riskctl-problem-badge', title: said, 'data-element': id,
        text: String(byElement[id].length)})});
    });
    problemsBox.textContent = '';
    if (state.problems.length) {
      var list = el('ol', {className: 'problem-list'});
      state.problems.forEach(function (p) {
        var element = p.element && registry.get(p.element);
        var where = element && element !== root() ? label(element) : W.process_level;
        list.appendChild(el('li', {}, [el('a', {href: '#', 'data-element': p.element || '',
          onclick: function (event) {
            event.preventDefault();
            if (element && element !== root()) {
              selection.select(element);
              canvas.scrollToElement(element);
            } else {
              selection.select(null);
            }
          }}, [where]), ': ' + p.message]));
      });
      problemsBox.appendChild(el('h2', {text: shared.format(W.problems,
                                                           {n: state.problems.length})}));
      problemsBox.appendChild(list);
    }
    (result.notes || []).forEach(function (n) {
      problemsBox.appendChild(el('p', {className: 'muted', text: W.note + ': ' +
                                       (n.name || n.element) + ' — ' + n.message}));
    });
    statusLine.textContent = state.problems.length
      ? shared.format(W.problems, {n: state.problems.length}) : W.no_problem;
    publishButton.disabled = !(state.ok && state.saved && !state.dirty);
  }

  // ------------------------------------------------------------ saving, publishing

  function save() {
    saveButton.disabled = true;
    return modeler.saveXML({format: true}).then(function (result) {
      return fetch(config.save, {
        method: 'POST', credentials: 'same-origin', body: result.xml,
        headers: {'Content-Type': 'application/xml', 'X-CSRFToken': shared.csrf(),
                  Accept: 'application/json'}
      });
    }).then(function (response) {
      return response.json().then(function (body) { return {status: response.status, body: body}; });
    }).then(function (answer) {
      saveButton.disabled = false;
      if (answer.status !== 201) {
        var error = answer.body.error || {};
        statusLine.textContent = W.not_saved + ': ' + (error.message || answer.status);
        if (error.details && error.details.length) {
          showProblems({ok: false, problems: error.details, refused: [], notes: []});
        }
        return;
      }
      state.key = answer.body.key;
      state.dirty = false;
      state.saved = true;
      state.ok = !answer.body.problems.length;
      showProblems({ok: state.ok, problems: answer.body.problems, refused: [],
                    notes: answer.body.notes});
      statusLine.textContent = shared.format(state.ok ? W.saved : W.saved_problems,
                                             {v: answer.body.version});
      if (config.published && state.key === config.key) {
        compareLink.hidden = false;
        compareLink.href = config.compare.replace('__key__', encodeURIComponent(state.key));
      }
    }).catch(function () { saveButton.disabled = false; });
  }

  function publish() {
    if (!state.saved || state.dirty) { statusLine.textContent = W.save_first; return; }
    publishButton.disabled = true;
    fetch(config.publish.replace('__key__', encodeURIComponent(state.key)), {
      method: 'POST', credentials: 'same-origin',
      headers: {'X-CSRFToken': shared.csrf(), Accept: 'application/json'}
    }).then(function (response) {
      return response.json().then(function (body) { return {status: response.status, body: body}; });
    }).then(function (answer) {
      if (answer.status !== 200) {
        var error = answer.body.error || {};
        statusLine.textContent = W.not_published + ': ' + (error.message || answer.status);
        return;
      }
      config.published = answer.body.version;
      state.saved = false;  // the next save is a new draft
      compareLink.hidden = true;
      statusLine.textContent = shared.format(W.published, {v: answer.body.version});
    });
  }

  function download(event) {
    event.preventDefault();
    modeler.saveXML({format: true}).then(function (result) {
      var blob = new Blob([result.xml], {type: 'application/xml'});
      var link = el('a', {href: URL.createObjectURL(blob),
                          download: (state.key || 'process') + '.bpmn'});
      document.body.appendChild(link);
      link.click();
      link.remove();
    });
  }

  // ------------------------------------------------------------ the side panel

  function field(text, control, hint) {
    var id = control.id || ('f' + Math.random().toString(36).slice(2));
    control.id = id;
    return el('div', {className: 'field'}, [el('label', {'for': id, text: text}), control,
                                            hint ? el('small', {className: 'muted', text: hint}) : null]);
  }
  function input(value, onchange, attrs) {
    var node = el('input', Object.assign({type: 'text', value: value}, attrs || {}));
    node.addEventListener('change', function () { onchange(node.value.trim(), node); });
    return node;
  }
  function select(options, value, onchange, attrs) {
    var node = el('select', attrs || {}, options.map(function (o) {
      return el('option', {value: o[0], selected: String(o[0]) === String(value), text: o[1]});
    }));
    node.addEventListener('change', function () { onchange(node.value, node); });
    return node;
  }
  function checkbox(text, checked, onchange, attrs) {
    var box = el('input', Object.assign({type: 'checkbox', checked: checked}, attrs || {}));
    box.addEventListener('change', function () { onchange(box.checked); });
    return el('label', {className: 'check'}, [box, ' ' + text]);
  }
  function postOptions(empty) {
    return [['', empty]].concat(config.posts.map(function (p) { return [p[0], p[1]]; }));
  }
  function riskOptions() { return [1, 2, 3, 4, 5].map(function (n) { return [n, String(n)]; }); }

  function renderPanel() {
    if (!root().businessObject) { return; }  // nothing loaded yet
    var chosen = selection.get();
    panel.textContent = '';
    var element = chosen.length === 1 ? chosen[0] : null;
    if (!element || element === root()) { return processPanel(); }
    if (is(element, 'bpmn:SequenceFlow')) { return flowPanel(element); }
    if (is(element, 'bpmn:Association')) { return pairPanel(element); }
    if (isTask(element)) { return taskPanel(element); }
    if (is(element, 'bpmn:StartEvent')) { return startPanel(element); }
    if (is(element, 'bpmn:EndEvent')) { return endPanel(element); }
    if (is(element, 'bpmn:ExclusiveGateway')) { return gatewayPanel(element); }
    if (is(element, 'bpmn:ParallelGateway')) {
      panel.appendChild(el('h2', {text: W.parallel}));
      return nameField(element);
    }
    panel.appendChild(el('h2', {text: label(element)}));
  }

  function nameField(element) {
    panel.appendChild(field(W.name, input(element.businessObject.name || '', function (value) {
      modeling.updateProperties(element, {name: value || undefined});
    }, {name: 'name'})));
  }

  function processPanel() {
    var bo = processBo();
    panel.appendChild(el('h2', {text: W.process}));
    panel.appendChild(field(W.name, input(bo.name || '', function (value) {
      setProcess({name: value || undefined});
    }, {name: 'process-name'})));
    panel.appendChild(field(W.key, input(get(bo, 'key'), function (value) {
      setProcess({'riskctl:key': value || undefined});
    }, {name: 'process-key', pattern: '[a-z][a-z0-9_\\-]{0,39}'})));
    panel.appendChild(field(W.category, select(config.categories, get(bo, 'category') || 'other',
      function (value) { setProcess({'riskctl:category': value}); }, {name: 'category'})));
    panel.appendChild(field(W.risk, select(riskOptions(), get(bo, 'risk') || '3', function (value) {
      setProcess({'riskctl:risk': value});
    }, {name: 'process-risk'})));
    panel.appendChild(field(W.coi, select([['block', W.coi_block], ['flag', W.coi_flag],
                                           ['off', W.coi_off]],
      get(bo, 'conflictOfInterest') || 'flag',
      function (value) { setProcess({'riskctl:conflictOfInterest': value}); }, {name: 'coi'})));
    var doc = (bo.documentation || [])[0];
    var description = el('textarea', {rows: 3, name: 'description', text: doc ? doc.text : ''});
    description.addEventListener('change', function () {
      var text = description.value.trim();
      setProcess({documentation: text ? [moddle.create('bpmn:Documentation', {text: text})] : []});
    });
    panel.appendChild(field(W.description, description));
    fieldsEditor();
    pairsList();
  }

  function saveFields(list) {
    var values = list.map(function (f) {
      var attrs = {key: f.key, label: f.label, type: f.type};
      if (f.required) { attrs.required = 'true'; }
      if (f.counterparty) { attrs.counterparty = 'true'; }
      if (f.type === 'reference' && f.process) { attrs.process = f.process; }
      var spec = moddle.create('riskctl:Field', attrs);
      if (f.type === 'choice') {
        spec.choices = f.choices.filter(Boolean).map(function (c) {
          var choice = moddle.create('riskctl:Choice', {value: c});
          choice.$parent = spec;
          return choice;
        });
      }
      return spec;
    });
    setProcess({extensionElements: withExtensions(processBo(), 'riskctl:Field', values)});
  }

  function fieldsEditor() {
    var list = fields();
    var box = el('fieldset', {className: 'fields-editor'}, [el('legend', {text: W.fields})]);
    list.forEach(function (f, i) {
      function update(change) { Object.assign(list[i], change); saveFields(list); }
      var row = el('div', {className: 'field-row', 'data-field': f.key}, [
        input(f.label, function (v) { update({label: v}); }, {'aria-label': W.field_label,
                                                              placeholder: W.field_label}),
        input(f.key, function (v) { update({key: v}); }, {'aria-label': W.key,
                                                          placeholder: W.key, className: 'code'}),
        select(config.field_types, f.type, function (v) { update({type: v}); renderPanel(); },
               {'aria-label': W.field_type}),
        checkbox(W.required, f.required, function (v) { update({required: v}); }),
        checkbox(W.counterparty, f.counterparty, function (v) { update({counterparty: v}); }),
        el('button', {type: 'button', className: 'link', text: W.remove, onclick: function () {
          list.splice(i, 1); saveFields(list); renderPanel();
        }})
      ]);
      if (f.type === 'choice') {
        var choices = el('textarea', {rows: 3, 'aria-label': W.choices,
                                      text: f.choices.join('\n')});
        choices.addEventListener('change', function () {
          update({choices: choices.value.split('\n').map(function (c) { return c.trim(); })});
        });
        row.appendChild(field(W.choices, choices));
      }
      if (f.type === 'reference') {
        row.appendChild(field(W.reference, input(f.process, function (v) { update({process: v}); })));
      }
      box.appendChild(row);
    });
    box.appendChild(el('button', {type: 'button', text: W.add_field, onclick: function () {
      var n = list.length + 1;
      while (list.some(function (f) { return f.key === 'field_' + n; })) { n += 1; }
      list.push({key: 'field_' + n, label: W.field + ' ' + n, type: 'text', choices: []});
      saveFields(list);
      renderPanel();
    }}));
    panel.appendChild(box);
  }

  function pairsList() {
    var pairs = registry.filter(function (e) {
      return is(e, 'bpmn:Association') && get(e.businessObject, 'mode');
    });
    if (!pairs.length) { return; }
    var list = el('ul', {className: 'pairs-list'});
    pairs.forEach(function (pair) {
      list.appendChild(el('li', {}, [el('a', {href: '#', onclick: function (event) {
        event.preventDefault(); selection.select(pair);
      }}, [label(pair.source) + ' ↔ ' + label(pair.target)]),
        ' · ' + (get(pair.businessObject, 'mode') === 'flag' ? W.mode_flag : W.mode_block)]));
    });
    panel.appendChild(el('h3', {text: W.pair}));
    panel.appendChild(list);
  }

  function limitEditor(element) {
    var bo = element.businessObject;
    var found = /^(\d+)(wd|d|h)$/.exec(get(bo, 'limit')) || [null, '', 'wd'];
    var amount = el('input', {type: 'number', min: 1, max: 8784, value: found[1],
                              name: 'limit-amount', 'aria-label': W.limit});
    var unit = select([['wd', W.wd], ['d', W.d], ['h', W.h]], found[2], update,
                      {name: 'limit-unit', 'aria-label': W.limit});
    function update() {
      var n = amount.value.trim();
      setAttr(element, 'limit', n ? n + unit.value : '');
    }
    amount.addEventListener('change', update);
    return el('div', {className: 'field'}, [el('label', {'for': 'limit-amount-input',
                                                         text: W.limit}),
      el('div', {className: 'limit'}, [amount, unit]),
      el('small', {className: 'muted', text: found[1] ? '' : W.no_limit})]);
  }

  function editsEditor(element) {
    var chosen = get(element.businessObject, 'edits').split(/\s+/).filter(Boolean);
    var box = el('fieldset', {className: 'checks'}, [el('legend', {text: W.edits})]);
    fields().forEach(function (f) {
      box.appendChild(checkbox(f.label, chosen.indexOf(f.key) >= 0, function (on) {
        var now = get(element.businessObject, 'edits').split(/\s+/).filter(Boolean);
        now = now.filter(function (k) { return k !== f.key; });
        if (on) { now.push(f.key); }
        var order = fields().map(function (x) { return x.key; });
        now.sort(function (a, b) { return order.indexOf(a) - order.indexOf(b); });
        setAttr(element, 'edits', now.join(' '));
      }, {name: 'edits', value: f.key}));
    });
    return box;
  }

  function decisionsEditor(element) {
    var bo = element.businessObject;
    var current = extensions(bo, 'riskctl:Decision').map(function (d) {
      return {key: d.key, label: d.label || DECISIONS[d.key] || d.key};
    });
    function store(list) {
      var values = list.map(function (d) {
        var attrs = {key: d.key};
        if (d.label && d.label !== DECISIONS[d.key]) { attrs.label = d.label; }
        else if (!DECISIONS[d.key]) { attrs.label = d.label || d.key; }
        return moddle.create('riskctl:Decision', attrs);
      });
      modeling.updateProperties(element, {extensionElements: withExtensions(bo,
                                          'riskctl:Decision', values)});
    }
    var box = el('fieldset', {className: 'checks'}, [el('legend', {text: W.decisions})]);
    var keys = Object.keys(DECISIONS);
    current.forEach(function (d) { if (keys.indexOf(d.key) < 0) { keys.push(d.key); } });
    keys.forEach(function (key) {
      var mine = current.filter(function (d) { return d.key === key; })[0];
      box.appendChild(checkbox(mine ? mine.label : DECISIONS[key], !!mine, function (on) {
        var now = current.filter(function (d) { return d.key !== key; });
        if (on) { now.push({key: key, label: mine ? mine.label : DECISIONS[key]}); }
        store(now);
      }, {name: 'decision', value: key}));
    });
    var code = el('input', {type: 'text', placeholder: W.key, className: 'code',
                            'aria-label': W.key});
    var name = el('input', {type: 'text', placeholder: W.name, 'aria-label': W.name});
    box.appendChild(el('div', {className: 'custom-decision'}, [code, name,
      el('button', {type: 'button', text: W.add, onclick: function () {
        if (!code.value.trim()) { return; }
        store(current.concat([{key: code.value.trim(), label: name.value.trim()}]));
      }})]));
    box.appendChild(el('small', {className: 'muted', text: W.custom_decision}));
    return box;
  }

  function taskPanel(element) {
    var bo = element.businessObject;
    var meeting = meetingOf(bo);
    panel.appendChild(el('h2', {text: meeting ? W.meeting : W.task}));
    nameField(element);
    panel.appendChild(field(W.post, select(postOptions(W.choose_post), get(bo, 'post'),
      function (value) { setAttr(element, 'post', value); }, {name: 'post'})));
    panel.appendChild(limitEditor(element));
    panel.appendChild(field(W.risk, select(riskOptions(), get(bo, 'risk') || '3',
      function (value) { setAttr(element, 'risk', value); }, {name: 'risk'})));
    panel.appendChild(checkbox(W.watch, get(bo, 'watch') === 'true', function (on) {
      setAttr(element, 'watch', on ? 'true' : '');
    }, {name: 'watch'}));
    if (meeting) { panel.appendChild(meetingEditor(element, meeting)); }
    panel.appendChild(editsEditor(element));
    panel.appendChild(decisionsEditor(element));
    panel.appendChild(el('button', {type: 'button', name: 'pair-with', text: W.pair_with,
      onclick: function () {
        state.picking = element;
        statusLine.textContent = W.pick_second;
      }}));
  }

  function meetingEditor(element, meeting) {
    var bo = element.businessObject;
    var members = (meeting.members || '').split(/\s+/).filter(Boolean);
    function store(change) {
      var attrs = {members: meeting.members, chair: meeting.chair, observer: meeting.observer,
                   quorum: meeting.quorum || 'half'};
      Object.assign(attrs, change);
      Object.keys(attrs).forEach(function (k) { if (!attrs[k]) { delete attrs[k]; } });
      var settings = moddle.create('riskctl:Meeting', attrs);
      modeling.updateProperties(element, {extensionElements: withExtensions(bo,
                                          'riskctl:Meeting', [settings])});
    }
    var box = el('fieldset', {className: 'checks'}, [el('legend', {text: W.members})]);
    config.posts.forEach(function (p) {
      box.appendChild(checkbox(p[1], members.indexOf(p[0]) >= 0, function (on) {
        var now = members.filter(function (m) { return m !== p[0]; });
        if (on) { now.push(p[0]); }
        store({members: now.join(' ')});
      }, {name: 'member', value: p[0]}));
    });
    box.appendChild(field(W.chair, select([['', W.choose_post]].concat(members.map(function (m) {
      return [m, postNames[m] || m];
    })), meeting.chair || '', function (v) { store({chair: v}); }, {name: 'chair'})));
    box.appendChild(field(W.observer, select(postOptions(W.none), meeting.observer || '',
      function (v) { store({observer: v}); }, {name: 'observer'})));
    box.appendChild(field(W.quorum, select([['half', W.quorum_half],
                                            ['two_thirds', W.quorum_two_thirds]],
      meeting.quorum || 'half', function (v) { store({quorum: v}); }, {name: 'quorum'})));
    return box;
  }

  function startPanel(element) {
    panel.appendChild(el('h2', {text: W.start}));
    panel.appendChild(field(W.starter_post, select(postOptions(W.anyone),
      get(element.businessObject, 'post'), function (value) {
        setAttr(element, 'post', value);
      }, {name: 'post'})));
    panel.appendChild(editsEditor(element));
  }

  function endPanel(element) {
    panel.appendChild(el('h2', {text: W.end}));
    nameField(element);
    panel.appendChild(field(W.result, select([['completed', W.completed], ['rejected', W.rejected]],
      get(element.businessObject, 'result') || 'completed', function (value) {
        setAttr(element, 'result', value === 'completed' ? '' : value);
      }, {name: 'result'})));
  }

  function gatewayPanel(element) {
    panel.appendChild(el('h2', {text: W.exclusive}));
    nameField(element);
    var outs = element.outgoing.filter(function (c) { return is(c, 'bpmn:SequenceFlow'); });
    var list = el('ul', {className: 'ways'});
    outs.forEach(function (flow) {
      var when = conditionOf(flow);
      var isDefault = element.businessObject.default === flow.businessObject;
      list.appendChild(el('li', {}, [el('a', {href: '#', onclick: function (event) {
        event.preventDefault(); selection.select(flow);
      }}, ['→ ' + label(flow.target)]), ': ' + (isDefault ? W.default
        : when ? words(when) : W.always)]));
    });
    panel.appendChild(el('h3', {text: W.condition}));
    panel.appendChild(list);
  }

  function decisionsNear(flow) {
    // The decisions a condition on this way may test: its task's, or (after a gateway)
    // every task's.
    var sources = isTask(flow.source) ? [flow.source] : registry.filter(isTask);
    var found = {};
    sources.forEach(function (task) {
      extensions(task.businessObject, 'riskctl:Decision').forEach(function (d) {
        found[d.key] = d.label || DECISIONS[d.key] || d.key;
      });
    });
    return found;
  }

  function flowPanel(flow) {
    var source = flow.source;
    var when = conditionOf(flow);
    var isDefault = source.businessObject.default === flow.businessObject;
    var mode = isDefault ? 'default' : !when ? 'always'
      : when.decision !== undefined ? 'decision' : 'fields';
    panel.appendChild(el('h2', {text: label(source) + ' → ' + label(flow.target)}));
    var modes = [['always', W.always], ['default', W.default], ['decision', W.by_decision],
                 ['fields', W.by_fields]];
    panel.appendChild(field(W.condition, select(modes, mode, function (value) {
      if (value === 'always') { setCondition(flow, null); }
      else if (value === 'default') { setCondition(flow, 'default'); }
      else if (value === 'decision') {
        var first = Object.keys(decisionsNear(flow))[0];
        setCondition(flow, first ? {decision: first} : null);
      } else {
        var f = fields()[0];
        if (f) { setCondition(flow, {field: f.key, op: '==', value: sample(f)}); }
      }
      renderPanel();
    }, {name: 'condition-mode'})));
    if (mode === 'decision') { panel.appendChild(decisionPicker(flow, when)); }
    if (mode === 'fields') { panel.appendChild(testsEditor(flow, when)); }
  }

  function sample(spec) {
    if (spec.type === 'bool') { return true; }
    if (spec.type === 'choice') { return spec.choices[0] || ''; }
    if (spec.type === 'int') { return 0; }
    if (spec.type === 'money') { return '0'; }
    return '';
  }

  function decisionPicker(flow, when) {
    var chosen = [].concat(when.decision);
    var offered = decisionsNear(flow);
    var box = el('fieldset', {className: 'checks'}, [el('legend', {text: W.by_decision})]);
    Object.keys(offered).forEach(function (key) {
      box.appendChild(checkbox(offered[key], chosen.indexOf(key) >= 0, function (on) {
        var now = chosen.filter(function (k) { return k !== key; });
        if (on) { now.push(key); }
        setCondition(flow, now.length ? {decision: now.length === 1 ? now[0] : now} : null);
        renderPanel();
      }, {name: 'when-decision', value: key}));
    });
    return box;
  }

  function testsEditor(flow, when) {
    var joiner = when.any ? 'any' : 'all';
    var tests = when.all || when.any || [when];
    var specs = fieldMap();
    function store() {
      setCondition(flow, tests.length === 1 ? tests[0] : (joiner === 'all' ? {all: tests}
                                                          : {any: tests}));
    }
    var box = el('fieldset', {className: 'tests'}, [el('legend', {text: W.by_fields})]);
    if (tests.length > 1) {
      box.appendChild(select([['all', W.all], ['any', W.any]], joiner, function (v) {
        joiner = v; store();
      }, {name: 'joiner'}));
    }
    tests.forEach(function (test, i) {
      var spec = specs[test.field] || {type: 'text', choices: []};
      var ops = OPS.filter(function (op) {
        return ['==', '!='].indexOf(op) >= 0 || ORDERED[spec.type];
      }).concat(spec.type === 'choice' ? LIST_OPS : []);
      var row = el('div', {className: 'test-row'}, [
        select(fields().map(function (f) { return [f.key, f.label]; }), test.field, function (v) {
          tests[i] = {field: v, op: '==', value: sample(specs[v])}; store(); renderPanel();
        }, {name: 'when-field', 'aria-label': W.field}),
        select(ops.map(function (op) { return [op, opWord(op)]; }), test.op, function (v) {
          var list = v === 'in' || v === 'not_in';
          var value = tests[i].value;
          tests[i] = {field: test.field, op: v,
                      value: list ? [].concat(value) : (Array.isArray(value) ? value[0] : value)};
          store(); renderPanel();
        }, {name: 'when-op', 'aria-label': W.condition}),
        valueEditor(spec, test, function (value) { tests[i].value = value; store(); }),
        tests.length > 1 ? el('button', {type: 'button', className: 'link', text: W.remove,
          onclick: function () { tests.splice(i, 1); store(); renderPanel(); }}) : null
      ]);
      box.appendChild(row);
    });
    box.appendChild(el('button', {type: 'button', text: W.add_test, onclick: function () {
      var f = fields()[0];
      tests.push({field: f.key, op: '==', value: sample(f)});
      store(); renderPanel();
    }}));
    return box;
  }

  function valueEditor(spec, test, onchange) {
    if (test.op === 'in' || test.op === 'not_in') {
      var box = el('span', {className: 'choices'});
      spec.choices.forEach(function (c) {
        box.appendChild(checkbox(c, test.value.indexOf(c) >= 0, function (on) {
          var now = test.value.filter(function (v) { return v !== c; });
          if (on) { now.push(c); }
          onchange(now);
        }, {name: 'when-value', value: c}));
      });
      return box;
    }
    if (spec.type === 'choice') {
      return select(spec.choices.map(function (c) { return [c, c]; }), test.value, onchange,
                    {name: 'when-value', 'aria-label': W.value});
    }
    if (spec.type === 'bool') {
      return select([['true', W.yes], ['false', W.no]], String(test.value), function (v) {
        onchange(v === 'true');
      }, {name: 'when-value', 'aria-label': W.value});
    }
    var type = spec.type === 'date' ? 'date' : (spec.type === 'int' ? 'number' : 'text');
    var node = el('input', {type: type, value: test.value, name: 'when-value',
                            'aria-label': W.value, inputmode: spec.type === 'money'
                              ? 'decimal' : null});
    node.addEventListener('change', function () {
      onchange(spec.type === 'int' ? parseInt(node.value || '0', 10) : node.value.trim());
    });
    return node;
  }

  function pairPanel(pair) {
    var bo = pair.businessObject;
    panel.appendChild(el('h2', {text: W.pair}));
    panel.appendChild(el('p', {text: label(pair.source) + ' ↔ ' + label(pair.target)}));
    if (!get(bo, 'mode')) { return; }
    panel.appendChild(field(W.mode, select([['block', W.mode_block], ['flag', W.mode_flag]],
      get(bo, 'mode'), function (value) { setAttr(pair, 'mode', value); }, {name: 'mode'})));
    panel.appendChild(field(W.pair_name, input(get(bo, 'pairName'), function (value) {
      setAttr(pair, 'pairName', value);
    }, {name: 'pair-name', placeholder: label(pair.source) + '与' + label(pair.target) + '不相容'})));
    panel.appendChild(field(W.basis, input(get(bo, 'basis'), function (value) {
      setAttr(pair, 'basis', value);
    }, {name: 'basis'})));
    panel.appendChild(el('button', {type: 'button', text: W.delete_pair, onclick: function () {
      modeling.removeElements([pair]);
    }}));
  }

  function pairWith(first, second) {
    state.picking = null;
    if (!isTask(second) || second === first) {
      statusLine.textContent = W.not_a_task;
      return;
    }
    var bo = bpmnFactory.create('bpmn:Association', {associationDirection: 'None'});
    bo.set('riskctl:mode', 'block');
    var connection = modeling.createConnection(first, second,
                                               {type: 'bpmn:Association', businessObject: bo},
                                               root());
    selection.select(connection);
  }

  // ------------------------------------------------------------ wiring

  var panelTimer = null;
  eventBus.on('selection.changed', function () { renderPanel(); });
  eventBus.on('commandStack.changed', function () {
    decorate();
    changed();
    // The panel follows undo/redo and edits on the canvas, after the typing settles.
    clearTimeout(panelTimer);
    panelTimer = setTimeout(function () {
      if (!panel.contains(document.activeElement)) { renderPanel(); }
    }, 50);
  });
  eventBus.on('element.click', 1500, function (event) {
    if (state.picking) {
      pairWith(state.picking, event.element);
      return false;
    }
  });
  document.addEventListener('keydown', function (event) {
    if (event.key === 'Escape' && state.picking) {
      state.picking = null;
      statusLine.textContent = '';
    }
  });
  document.getElementById('show-pairs').addEventListener('change', function (event) {
    document.getElementById('canvas').classList.toggle('hide-pairs', !event.target.checked);
  });
  saveButton.addEventListener('click', save);
  publishButton.addEventListener('click', publish);
  document.getElementById('download').addEventListener('click', download);
  if (config.published && config.has_draft) {
    compareLink.hidden = false;
    compareLink.href = config.compare.replace('__key__', encodeURIComponent(config.key));
  }
  load();
})();
