// The status badge ([data-testid=status]: idle | loading | ready | generating | error) and the
// buttons whose state follows from it.

import { el } from './dom.js';
import { state } from './state.js';

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
  el.send.disabled = !canChat;
  el.stop.disabled = !state.generating;
  el.unload.hidden = !state.modelInfo;
  el.unload.disabled = state.generating || !!state.loading;
  el.newChat.disabled = !!state.loading;
}
