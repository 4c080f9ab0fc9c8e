// The message list: one bubble per message ([data-testid=user-message|assistant-message],
// holding only its text), kept scrolled to the end while the reader is there. A user's message
// is a Text node, shown as typed; an answer is Markdown, sanitised (markdown.js), re-rendered as
// it grows at most once per animation frame, so that streaming stays smooth on long answers.

import { el } from './dom.js';
import { renderMarkdown } from './markdown.js';

/**
 * Appends a message; returns its parts. `setText(text, now)` replaces an answer's text (rendered
 * on the next animation frame, or at once with `now`, e.g. when the stream ends); `showNotice`
 * puts a notice under it (e.g. that older turns were left out of the context).
 */
export function addMessage(role, text) {
  el.empty.hidden = true;
  const row = document.createElement('div');
  row.className = `msg ${role}`;
  const bubble = document.createElement('div');
  bubble.className = 'bubble';
  bubble.dataset.testid = `${role}-message`;
  bubble.setAttribute('data-testid', `${role}-message`);
  const meta = document.createElement('div');
  meta.className = 'msg-meta';
  // Copy / edit / regenerate buttons live beside the bubble, never in it, so that the bubble's
  // textContent stays the message's text (the testing contract).
  const actions = document.createElement('div');
  actions.className = 'msg-actions';
  row.append(bubble, meta, actions);
  el.messages.append(row);
  let setText;
  if (role === 'assistant') {
    bubble.classList.add('markdown');
    setText = markdownSetter(bubble);
    setText(text, true);
  } else {
    const node = document.createTextNode(text);
    bubble.append(node);
    setText = (t) => { node.data = t; };
  }
  const showNotice = (notice) => {
    const note = document.createElement('p');
    note.className = 'msg-notice';
    note.setAttribute('data-testid', 'context-notice');
    note.setAttribute('role', 'note');
    note.textContent = notice;
    row.insertBefore(note, meta);
    scrollToEnd();
  };
  scrollToEnd(true);
  return { row, bubble, meta, actions, setText, showNotice };
}

// Rendering is throttled to animation frames: tokens can arrive faster than frames, and each
// render parses the whole message (marked copes with unclosed fences and emphasis mid-stream).
function markdownSetter(bubble) {
  let text = '';
  let frame = 0;
  const render = () => {
    frame = 0;
    renderMarkdown(bubble, text);
    scrollToEnd();
  };
  return (next, now = false) => {
    text = next;
    if (now) {
      if (frame) cancelAnimationFrame(frame);
      render();
    } else if (!frame) {
      frame = requestAnimationFrame(render);
    }
  };
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

/**
 * Scrolls to the newest text, unless the reader has scrolled up (or `force`). An instant jump:
 * setting scrollTop follows CSS scroll-behavior, which is `auto` here (and forced to it under
 * prefers-reduced-motion), so nothing glides while tokens stream.
 */
export function scrollToEnd(force = false) {
  if (force || nearBottom()) {
    const m = scroller();
    m.scrollTop = m.scrollHeight;
  }
}
