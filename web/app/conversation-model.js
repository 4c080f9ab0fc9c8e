// The model a conversation was held with, when it is not the one loaded: a bar above the
// messages names it and, for a URL, offers to load it (through the same confirmation as any
// URL the page did not choose). A local file cannot be reopened by the page, so it is only named.

import { el } from './dom.js';
import { state } from './state.js';
import { sourceName } from './format.js';

let onLoad = () => {};

/** `load(url)`: what the bar's button does (the page's load-or-ask). */
export function wireConversationModel(load) {
  onLoad = load;
  el.heldWithLoad.addEventListener('click', () => {
    const source = state.conversation?.model?.source;
    if (typeof source === 'string' && !source.startsWith('file: ')) onLoad(source);
  });
}

// The loaded model as conversations record it (conversations.js: loadedModel).
function loadedSource() {
  if (!state.modelInfo) return null;
  if (typeof state.source === 'string') return state.source;
  return state.source ? `file: ${sourceName(state.source)}` : null;
}

/** Shows or hides the bar for the open conversation and the loaded model. */
export function refreshHeldWith() {
  const held = state.conversation?.model;
  const differs = !!held?.source && held.source !== loadedSource() && !state.loading;
  el.heldWith.hidden = !differs;
  if (!differs) return;
  const isFile = held.source.startsWith('file: ');
  el.heldWithName.textContent = held.name || sourceName(held.source);
  el.heldWithLoad.hidden = isFile;
  el.heldWithNote.textContent = isFile
    ? ' (a local file: open it again to continue with it).'
    : state.modelInfo ? '; the answers now come from the loaded one.' : '.';
}
