// A study PDF shown in the page by PDF.js, served from this site (static/vendor/pdfjs):
// its worker, the character maps of Chinese fonts a PDF does not embed, and the standard
// fonts' metrics all come from here — the CSP allows nothing else, and no eval is needed.
import * as pdfjs from '../vendor/pdfjs/pdf.min.mjs';

const viewer = document.getElementById('pdf-viewer');
const vendor = new URL('../vendor/pdfjs/', import.meta.url);
pdfjs.GlobalWorkerOptions.workerSrc = new URL('pdf.worker.min.mjs', vendor).href;

function say(text) {
  const state = document.getElementById('pdf-state');
  if (state) state.textContent = text;
}

async function show() {
  const task = pdfjs.getDocument({
    url: viewer.dataset.url,
    withCredentials: true,
    cMapUrl: new URL('cmaps/', vendor).href,
    cMapPacked: true,
    standardFontDataUrl: new URL('standard_fonts/', vendor).href,
    useWasm: false,  // the wasm image decoders would need 'wasm-unsafe-eval' in the CSP
  });
  const doc = await task.promise;
  const width = Math.min(viewer.clientWidth - 32, 960);
  const ratio = window.devicePixelRatio || 1;
  for (let n = 1; n <= doc.numPages; n += 1) {
    const page = await doc.getPage(n);
    const base = page.getViewport({scale: 1});
    const viewport = page.getViewport({scale: width / base.width});
    const canvas = document.createElement('canvas');
    canvas.width = Math.floor(viewport.width * ratio);
    canvas.height = Math.floor(viewport.height * ratio);
    canvas.style.width = `${Math.floor(viewport.width)}px`;
    canvas.setAttribute('aria-label', `${n} / ${doc.numPages}`);
    canvas.dataset.page = String(n);
    viewer.appendChild(canvas);
    await page.render({
      canvas, viewport, transform: ratio !== 1 ? [ratio, 0, 0, ratio, 0, 0] : null,
    }).promise;
  }
  say(viewer.dataset.pages.replace('{n}', String(doc.numPages)));
  viewer.dataset.rendered = String(doc.numPages);
}

if (viewer) {
  show().catch(() => say(viewer.dataset.failed));
}
