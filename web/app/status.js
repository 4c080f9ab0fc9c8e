// The status badge ([data-testid=status]: idle | loading | ready | generating | error) and the
// buttons whose state follows from it.

import { el } from './dom.js';
import { state } from './state.js';
import { moveFocusFrom } from './keyboard.js';

export function setStatus(status, detail = '') {
  state.status = status;
  el.status.textContent = status;
  el.status.dataset.state = status;
  document.body.dataset.status = status;
  el.statusDetail.textContent = detail;
  updateControls();
}

/** Enables what can be done now: chat with a loaded, idle model; stop a running answer. */
export function updateControls() {
  const canChat = !!state.modelInfo && !state.generating && !state.loading;
  disable(el.send, !canChat);
  disable(el.stop, !state.generating);
  if (!state.modelInfo) moveFocusFrom(el.unload);
  el.unload.hidden = !state.modelInfo;
  disable(el.unload, state.generating || !!state.loading);
  disable(el.newChat, !!state.loading);
}

// A focused button that is disabled loses the focus (Send once pressed, Stop when the answer
// ends): the message box takes it, where Enter sends and Escape stops.
function disable(button, off) {
  if (off) moveFocusFrom(button);
  button.disabled = off;
}
