// Assistant messages as Markdown: marked (GFM) to HTML, DOMPurify over it, into the bubble.
// Model output is untrusted text: raw HTML in it is shown as text (never parsed), the sanitiser
// keeps only the tags Markdown itself makes, and images become links, because an <img> would
// fetch its URL on its own and so could carry the conversation off this device.
// Both libraries are vendored into the site by `cargo xtask build-web` (web/package.json), so the
// page needs no CDN and keeps working from its own cache.

import { Marked } from '../vendor/marked.esm.js';
import DOMPurify from '../vendor/purify.es.js';

const escapeHtml = (s) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

// A private instance: the page's options do not leak into the global `marked`.
const marked = new Marked({
  gfm: true,
  breaks: true, // a chat answer's single newlines are meant as line breaks
  async: false,
  renderer: {
    // Raw HTML (block or inline) is disabled: it is rendered as the text it is.
    html: ({ text }) => escapeHtml(text),
    // ![alt](url) shows as a link to the image, which loads nothing until clicked.
    image: ({ href, text }) => `<a href="${escapeHtml(href || '')}">${escapeHtml(text || href || 'image')}</a>`,
  },
});

// Only what the renderer above produces; anything else (styles, forms, SVG...) is dropped.
const PURIFY = {
  ALLOWED_TAGS: ['p', 'br', 'hr', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'strong', 'em', 'del', 'code', 'pre',
    'blockquote', 'ul', 'ol', 'li', 'a', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'input'],
  ALLOWED_ATTR: ['href', 'title', 'start', 'align', 'class', 'type', 'checked', 'disabled'],
  RETURN_DOM_FRAGMENT: true,
};

// Links open in a new tab and tell the target nothing about the page; task-list check boxes
// (the only <input> marked makes) cannot be changed.
DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A' && node.hasAttribute('href')) {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer nofollow');
  }
  if (node.tagName === 'INPUT') {
    if (node.getAttribute('type') !== 'checkbox') node.remove();
    else node.setAttribute('disabled', '');
  }
});

/** Markdown text to a sanitised DocumentFragment, code blocks with a copy button. */
export function markdownFragment(text) {
  const fragment = DOMPurify.sanitize(marked.parse(text), PURIFY);
  for (const pre of fragment.querySelectorAll('pre')) addCopyButton(pre);
  // Code blocks and tables scroll sideways inside the bubble: focusable, so that the keyboard
  // can scroll them too (arrow keys).
  for (const wide of fragment.querySelectorAll('pre, table')) wide.tabIndex = 0;
  return fragment;
}

/** Replaces `container`'s content with `text` rendered (it may be incomplete: mid-stream). */
export function renderMarkdown(container, text) {
  container.replaceChildren(markdownFragment(text));
}

// The button has no text of its own (its label is CSS-generated and an aria-label), so that a
// message's textContent stays its text: the page's testing contract.
function addCopyButton(pre) {
  const wrap = document.createElement('div');
  wrap.className = 'code-block';
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'copy-code';
  button.setAttribute('data-testid', 'copy-code');
  button.setAttribute('aria-label', 'Copy code');
  button.addEventListener('click', () => copyCode(pre, button));
  pre.replaceWith(wrap);
  wrap.append(button, pre);
}

async function copyCode(pre, button) {
  const code = (pre.querySelector('code') || pre).textContent;
  try {
    await navigator.clipboard.writeText(code);
    button.dataset.state = 'copied';
  } catch (err) {
    // No clipboard (insecure context, permission refused): say so rather than pretend.
    console.warn('copy failed', err);
    button.dataset.state = 'failed';
  }
  setTimeout(() => { delete button.dataset.state; }, 1500);
}
