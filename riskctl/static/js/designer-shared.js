// What the process designer and its comparison page share: riskctl's extension of BPMN
// (the namespace riskctl.process.bpmn writes and reads), bpmn-js's words in the reader's
// language, and small helpers.  A file of its own: the Content-Security-Policy runs no
// inline code.
window.RiskctlBpmn = (function () {
  'use strict';

  function attr(name) {
    return {name: name, isAttr: true, type: 'String'};
  }

  // urn:riskctl:bpmn:1 as bpmn-js's moddle reads it: attributes on the process, its
  // nodes and the associations that are incompatible pairs; fields, decisions and a
  // meeting's settings as extension elements.
  var descriptor = {
    name: 'riskctl',
    uri: 'urn:riskctl:bpmn:1',
    prefix: 'riskctl',
    xml: {tagAlias: 'lowerCase'},
    types: [
      {name: 'ProcessAttrs', extends: ['bpmn:Process'],
       properties: [attr('key'), attr('category'), attr('risk'), attr('conflictOfInterest')]},
      {name: 'NodeAttrs', extends: ['bpmn:FlowNode'],
       properties: [attr('post'), attr('limit'), attr('risk'), attr('watch'), attr('edits'),
                    attr('result'), attr('kind')]},
      {name: 'PairAttrs', extends: ['bpmn:Association'],
       properties: [attr('mode'), attr('code'), attr('pairName'), attr('basis')]},
      {name: 'Field', superClass: ['Element'],
       properties: [attr('key'), attr('label'), attr('type'), attr('required'), attr('process'),
                    attr('counterparty'),
                    {name: 'choices', type: 'Choice', isMany: true}]},
      {name: 'Choice', superClass: ['Element'], properties: [attr('value')]},
      {name: 'Decision', superClass: ['Element'], properties: [attr('key'), attr('label')]},
      {name: 'Meeting', superClass: ['Element'],
       properties: [attr('members'), attr('chair'), attr('observer'), attr('quorum')]}
    ]
  };

  // bpmn-js asks `translate` for every word it shows; the page gives the known ones.
  function translateModule(words) {
    function translate(template, replacements) {
      var text = words[template] || template;
      replacements = replacements || {};
      return text.replace(/{([^}]+)}/g, function (whole, key) {
        return replacements[key] !== undefined ? replacements[key] : whole;
      });
    }
    return {translate: ['value', translate]};
  }

  function readJson(id) {
    return JSON.parse(document.getElementById(id).textContent);
  }

  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : '';
  }

  function fetchText(url) {
    return fetch(url, {credentials: 'same-origin', headers: {Accept: 'application/xml'}})
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status + ' ' + url); }
        return response.text();
      });
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === undefined || value === null || value === false) { return; }
      if (key === 'text') { node.textContent = value; }
      else if (key === 'className') { node.className = value; }
      else if (key.slice(0, 2) === 'on') { node.addEventListener(key.slice(2), value); }
      else if (value === true) { node.setAttribute(key, ''); }
      else { node.setAttribute(key, value); }
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) { return; }
      node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    });
    return node;
  }

  function format(text, values) {
    return String(text).replace(/%\((\w+)\)s/g, function (whole, key) {
      return values[key] !== undefined ? values[key] : whole;
    });
  }

  return {descriptor: descriptor, translateModule: translateModule, readJson: readJson,
          csrf: csrf, fetchText: fetchText, el: el, format: format};
})();
