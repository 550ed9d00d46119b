/**
 * Shows an HTML mail body safely: sanitised with DOMPurify (no scripts, forms, frames or remote
 * resources), then placed in an iframe sandboxed without scripts, forms or popups, whose document has
 * its own CSP allowing nothing remote. Mail content can therefore neither run code, nor phone home,
 * nor draw over Cachet's status bar, which lives outside the frame.
 *
 * The sandbox allows same-origin (never together with scripts) so that Cachet's page can do for the
 * frame what its content may not: apply the mail's sanitised styles through the CSSOM (the page's CSP,
 * which a srcdoc frame inherits, refuses inline style markup), size the frame to its content, and
 * take over link clicks, which the sandbox would otherwise turn into an error page in the frame.
 */
import DOMPurify from 'dompurify';

const FRAME_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:";
const BASE_STYLE = 'body{font:15px/1.5 system-ui,sans-serif;margin:12px;word-wrap:break-word}img{max-width:100%}';

/** Styles from mail may draw, never fetch: every url() but an inline image, and every @import, goes. */
export function sanitizeMailCss(css: string): string {
  return css.replace(/@import[^;]*;?/gi, '').replace(/url\(\s*(['"]?)(?!data:image\/)[^)]*\)/gi, 'none');
}

export function sanitizeMailHtml(html: string): string {
  const purifier = DOMPurify(window);
  purifier.addHook('afterSanitizeAttributes', (node) => {
    for (const attribute of ['src', 'srcset', 'background', 'poster', 'action', 'formaction', 'xlink:href']) {
      const value = node.getAttribute(attribute);
      // Remote content is never fetched: it would tell the sender when and where the mail was read.
      if (value !== null && !/^data:image\//i.test(value)) node.removeAttribute(attribute);
    }
    const style = node.getAttribute('style');
    if (style !== null) node.setAttribute('style', sanitizeMailCss(style));
    if (node.tagName === 'A') {
      const href = node.getAttribute('href') ?? '';
      if (!/^(https?:|mailto:)/i.test(href)) node.removeAttribute('href');
      else node.setAttribute('title', href);
      node.removeAttribute('target');
    }
  });
  purifier.addHook('uponSanitizeElement', (node) => {
    if (node.nodeName === 'STYLE' && node.textContent) node.textContent = sanitizeMailCss(node.textContent);
  });
  return purifier.sanitize(html, {
    FORBID_TAGS: ['form', 'input', 'button', 'textarea', 'select', 'option', 'iframe', 'frame', 'object', 'embed', 'link', 'meta', 'base', 'script', 'svg', 'math'],
    FORBID_ATTR: ['srcdoc', 'ping'],
    ALLOW_DATA_ATTR: false,
    WHOLE_DOCUMENT: false,
    // A <style> at the very start of a mail is kept (a fragment would otherwise drop it).
    FORCE_BODY: true,
  });
}

/** A link the reader clicked in the mail: where it really goes, and what its text said. */
export interface MailLink {
  href: string;
  text: string;
}

function applyStyles(doc: Document, view: Window & typeof globalThis): void {
  for (const element of Array.from(doc.body.querySelectorAll<HTMLElement>('[style]'))) element.style.cssText = element.getAttribute('style') ?? '';
  const sheets = Array.from(doc.querySelectorAll('style'))
    .map((style) => style.textContent ?? '')
    .join('\n');
  const sheet = new view.CSSStyleSheet();
  sheet.replaceSync(BASE_STYLE + sanitizeMailCss(sheets));
  doc.adoptedStyleSheets = [sheet];
}

export function messageFrame(html: string, title: string, onLink: (link: MailLink) => void): HTMLIFrameElement {
  const frame = document.createElement('iframe');
  // Never allow-scripts beside allow-same-origin: the mail itself runs nothing.
  frame.setAttribute('sandbox', 'allow-same-origin');
  frame.setAttribute('referrerpolicy', 'no-referrer');
  frame.setAttribute('title', title);
  frame.className = 'message-frame';
  frame.srcdoc =
    `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${FRAME_CSP}"></head><body>` +
    sanitizeMailHtml(html) +
    '</body></html>';
  frame.addEventListener('load', () => {
    const doc = frame.contentDocument;
    const view = frame.contentWindow as (Window & typeof globalThis) | null;
    if (!doc || !view) return;
    applyStyles(doc, view);
    const fit = () => {
      frame.style.height = `${doc.documentElement.scrollHeight + 2}px`;
    };
    fit();
    new ResizeObserver(fit).observe(doc.body);
    doc.addEventListener('click', (event) => {
      const link = event.target instanceof view.Element ? event.target.closest('a') : null;
      if (!link) return;
      event.preventDefault();
      const href = link.getAttribute('href');
      if (href && /^(https?|mailto):/i.test(href)) onLink({ href: link.href, text: (link.textContent ?? '').trim() });
    });
  });
  return frame;
}
