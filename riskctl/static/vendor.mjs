// Copies the browser builds of our npm dependencies into riskctl/static/vendor/
// (git-ignored), so every page works on an intranet without a CDN.  Run by `npm run build`.
import { copyFileSync, cpSync, mkdirSync, rmSync } from "node:fs";
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
  // Study materials (廉政教育): PDF.js shows a PDF in the reading page, its worker parses
  // it in a worker of this origin (the CSP allows nothing else).
  "pdfjs-dist/build/pdf.min.mjs": "pdfjs/pdf.min.mjs",
  "pdfjs-dist/build/pdf.worker.min.mjs": "pdfjs/pdf.worker.min.mjs",
  "pdfjs-dist/LICENSE": "pdfjs/LICENSE",
};
// Whole folders: PDF.js reads the character maps of Chinese fonts that a PDF does not
// embed (STSong-Light and the like) and the metrics of the 14 standard fonts from here.
const folders = {
  "pdfjs-dist/cmaps": "pdfjs/cmaps",
  "pdfjs-dist/standard_fonts": "pdfjs/standard_fonts",
};

rmSync(vendor, { recursive: true, force: true });
for (const [from, to] of Object.entries(files)) {
  const target = join(vendor, to);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(join(root, "node_modules", from), target);
}
for (const [from, to] of Object.entries(folders)) {
  cpSync(join(root, "node_modules", from), join(vendor, to), { recursive: true });
}
console.log(
  `vendor assets: ${Object.keys(files).length} files and ${Object.keys(folders).length} folders in ${vendor}`,
);
