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
