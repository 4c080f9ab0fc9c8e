// The message list: one bubble per message ([data-testid=user-message|assistant-message],
// holding only its text, as a Text node so that model output is never parsed as HTML), kept
// scrolled to the end while the reader is there.

import { el } from './dom.js';

/** Appends a message; returns its parts so that an answer can stream into `node`. */
export function addMessage(role, text) {
  el.empty.hidden = true;
  const row = document.createElement('div');
  row.className = `msg ${role}`;
  const bubble = document.createElement('div');
  bubble.className = 'bubble';
  bubble.dataset.testid = `${role}-message`;
  bubble.setAttribute('data-testid', `${role}-message`);
  const node = document.createTextNode(text);
  bubble.append(node);
  const meta = document.createElement('div');
  meta.className = 'msg-meta';
  row.append(bubble, meta);
  el.messages.append(row);
  scrollToEnd(true);
  return { row, bubble, node, meta };
}

/** Empties the list, back to the "pick a model" note. */
export function clearMessages() {
  el.messages.replaceChildren(el.empty);
  el.empty.hidden = false;
}

// On wide screens the message list scrolls by itself; on phones the whole page scrolls.
function scroller() {
  return getComputedStyle(el.messages).overflowY === 'visible' ? document.scrollingElement : el.messages;
}

function nearBottom() {
  const m = scroller();
  return m.scrollHeight - m.scrollTop - m.clientHeight < 80;
}

/** Scrolls to the newest text, unless the reader has scrolled up (or `force`). */
export function scrollToEnd(force = false) {
  if (force || nearBottom()) {
    const m = scroller();
    m.scrollTop = m.scrollHeight;
  }
}
