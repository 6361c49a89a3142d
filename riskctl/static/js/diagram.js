// Draws the process diagrams (pre.mermaid, written by riskctl.process.diagram) with the
// locally served Mermaid.  A file of its own: the Content-Security-Policy runs no inline code.
(function () {
  'use strict';
  mermaid.initialize({startOnLoad: false, securityLevel: 'strict', theme: 'neutral',
                      flowchart: {htmlLabels: false, curve: 'basis'}});
  mermaid.run({querySelector: 'pre.mermaid'});
})();
