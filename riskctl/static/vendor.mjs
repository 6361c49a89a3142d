// Copies the browser builds of our npm dependencies into riskctl/static/vendor/
// (git-ignored), so every page works on an intranet without a CDN.  Run by `npm run build`.
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const vendor = join(here, "vendor");

const files = {
  "echarts/dist/echarts.min.js": "echarts.min.js",
  "socket.io-client/dist/socket.io.min.js": "socket.io.min.js",
  // The item page's process diagram: Mermaid lays out and draws the flowchart text that
  // riskctl.process.diagram writes.
  "mermaid/dist/mermaid.min.js": "mermaid.min.js",
  // The process designer (admin): bpmn-js's browser builds (UMD, global BpmnJS) and styles.
  "bpmn-js/dist/bpmn-modeler.production.min.js": "bpmn-js/bpmn-modeler.min.js",
  "bpmn-js/dist/bpmn-navigated-viewer.production.min.js": "bpmn-js/bpmn-viewer.min.js",
  "bpmn-js/dist/assets/diagram-js.css": "bpmn-js/assets/diagram-js.css",
  "bpmn-js/dist/assets/bpmn-js.css": "bpmn-js/assets/bpmn-js.css",
  "bpmn-js/dist/assets/bpmn-font/css/bpmn.css": "bpmn-js/assets/bpmn-font/css/bpmn.css",
  "bpmn-js/dist/assets/bpmn-font/font/bpmn.woff2": "bpmn-js/assets/bpmn-font/font/bpmn.woff2",
  "bpmn-js/dist/assets/bpmn-font/font/bpmn.woff": "bpmn-js/assets/bpmn-font/font/bpmn.woff",
  "swagger-ui-dist/swagger-ui-bundle.js": "swagger-ui/swagger-ui-bundle.js",
  "swagger-ui-dist/swagger-ui-standalone-preset.js": "swagger-ui/swagger-ui-standalone-preset.js",
  "swagger-ui-dist/swagger-ui.css": "swagger-ui/swagger-ui.css",
};

rmSync(vendor, { recursive: true, force: true });
for (const [from, to] of Object.entries(files)) {
  const target = join(vendor, to);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(join(root, "node_modules", from), target);
}
console.log(`vendor assets: ${Object.keys(files).length} files in ${vendor}`);
