// Keyboard use of the page as a whole: the "Skip to the message box" link, and keeping the focus
// somewhere useful when the control holding it goes away. A focused button that is disabled,
// hidden or removed (Send while an answer runs, Stop when it ends, Regenerate when the answer it
// sat under is replaced, a Cancel whose box closes) drops the focus to the start of the page, and
// a keyboard user would have to Tab through the whole side panel again; the parts call
// moveFocusFrom() just before they do that, and the focus goes to the message box (or to what
// they name) instead.

import { el } from './dom.js';

/**
 * If the keyboard focus is on `node` or inside it, moves it to `to` (default: the message box),
 * without scrolling. Call it before `node` is removed, hidden or disabled. Returns whether it moved.
 */
export function moveFocusFrom(node, to = el.prompt) {
  const active = document.activeElement;
  if (!node || !active || (active !== node && !node.contains(active))) return false;
  to.focus({ preventScroll: true });
  return true;
}

/** Whether `node` can take the focus back: still in the page, shown and enabled. */
export function canRefocus(node) {
  return !!node && node.isConnected && node !== document.body && !node.disabled && node.getClientRects().length > 0;
}

/**
 * The skip link, the page's first focusable element, goes to the message box: focused, with the
 * end of the chat column in view (the newest messages and the whole composer; on a phone they
 * are below the side panels, and scrolling only to the box would leave Send out of view). Its
 * href (#prompt) does much the same without script.
 */
export function wireSkipLink() {
  const link = document.getElementById('skip-link');
  link.addEventListener('click', (e) => {
    e.preventDefault();
    el.prompt.focus({ preventScroll: true });
    el.composer.parentElement.scrollIntoView({ block: 'end' });
  });
}
