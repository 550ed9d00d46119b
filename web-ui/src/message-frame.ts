/**
 * Shows an HTML mail body safely: sanitised with DOMPurify (no scripts, forms, frames or remote
 * resources), then placed in an iframe with an empty `sandbox` (no script, no same-origin, no
 * popups, no forms) whose document has its own CSP allowing nothing remote. Mail content can
 * therefore neither run code, nor phone home, nor draw over Cachet's status bar, which lives
 * outside the frame.
 */
import DOMPurify from 'dompurify';

const FRAME_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:";

export function sanitizeMailHtml(html: string): string {
  const purifier = DOMPurify(window);
  purifier.addHook('afterSanitizeAttributes', (node) => {
    for (const attribute of ['src', 'srcset', 'background', 'poster', 'action', 'formaction', 'xlink:href']) {
      const value = node.getAttribute(attribute);
      // Remote content is never fetched: it would tell the sender when and where the mail was read.
      if (value !== null && !/^data:image\//i.test(value)) node.removeAttribute(attribute);
    }
    if (node.tagName === 'A') {
      const href = node.getAttribute('href') ?? '';
      if (!/^(https?:|mailto:)/i.test(href)) node.removeAttribute('href');
      else node.setAttribute('title', href);
    }
  });
  return purifier.sanitize(html, {
    FORBID_TAGS: ['form', 'input', 'button', 'textarea', 'select', 'option', 'iframe', 'frame', 'object', 'embed', 'link', 'meta', 'base', 'script', 'svg', 'math'],
    FORBID_ATTR: ['srcdoc', 'ping'],
    ALLOW_DATA_ATTR: false,
    WHOLE_DOCUMENT: false,
  });
}

export function messageFrame(html: string, title: string): HTMLIFrameElement {
  const frame = document.createElement('iframe');
  frame.setAttribute('sandbox', '');
  frame.setAttribute('referrerpolicy', 'no-referrer');
  frame.setAttribute('title', title);
  frame.className = 'message-frame';
  frame.srcdoc =
    `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${FRAME_CSP}">` +
    `<style>body{font:15px/1.5 system-ui,sans-serif;margin:12px;word-wrap:break-word}img{max-width:100%}</style></head><body>` +
    sanitizeMailHtml(html) +
    '</body></html>';
  return frame;
}
