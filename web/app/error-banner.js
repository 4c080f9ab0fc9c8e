// The error banner ([data-testid=error]): the message, its hint, and a "Restart engine" button
// when a restart can help. It is role=alert: shown, it is read out at once, without taking the
// focus from what the user was doing.

import { el } from './dom.js';
import { ERRORS, codeOf } from './error-hints.js';
import { moveFocusFrom } from './keyboard.js';

/** Shows `err` in the banner; `context` says what the page was doing, e.g. 'generating'. */
export function showError(err, context = '') {
  const code = codeOf(err);
  const info = ERRORS[code] || ERRORS.internal;
  const message = (err && err.message) || String(err);
  console.error(context || 'error', err);
  el.errorTitle.textContent = context ? `${info.title} (${context})` : info.title;
  el.errorMessage.textContent = message;
  el.errorHint.textContent = info.hint || '';
  el.errorHint.hidden = !info.hint;
  el.restart.hidden = !info.restart;
  el.banner.dataset.code = code;
  el.banner.hidden = false;
}

/** Hides the banner; the focus, if on Dismiss or Restart, goes to the message box. */
export function clearError() {
  moveFocusFrom(el.banner);
  el.banner.hidden = true;
  delete el.banner.dataset.code;
}

/** Wires Dismiss, and Restart to `onRestart` (which lives with the engine's lifecycle). */
export function wireErrorBanner({ onRestart }) {
  el.dismiss.addEventListener('click', clearError);
  el.restart.addEventListener('click', () => onRestart());
}
