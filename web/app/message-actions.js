// The buttons under a message: copy (every message), edit (a user's), and the one regenerate
// button, which only ever sits under the last answer. They only call back into chat.js; what a
// message is worth (its index in state.messages) is kept on its row as data-index, so that an
// edit or a regenerate can cut the conversation and the page at the same place.

import { el } from './dom.js';
import { moveFocusFrom } from './keyboard.js';

function button(testid, label, onClick) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'msg-action';
  b.setAttribute('data-testid', testid);
  b.textContent = label;
  b.addEventListener('click', onClick);
  return b;
}

/** Copy puts the message's source text on the clipboard (an answer's Markdown, not its HTML). */
export function addCopyButton(actions, getText) {
  const b = button('copy-message', 'Copy', async () => {
    try {
      await navigator.clipboard.writeText(getText());
      b.dataset.state = 'copied';
    } catch (err) {
      // No clipboard (insecure context, permission refused): say so rather than pretend.
      console.warn('copy failed', err);
      b.dataset.state = 'failed';
    }
    setTimeout(() => { delete b.dataset.state; }, 1500);
  });
  b.setAttribute('aria-label', 'Copy message');
  actions.append(b);
}

/**
 * Edit swaps the bubble for a textarea ([data-testid=edit-input], focused) with Send
 * ([data-testid=edit-save]) and Cancel; Send hands the new text to `onSave`, which replaces the
 * message and asks again from there (the focus goes to the message box, where Escape stops the
 * answer); Cancel or Escape gives the focus back to Edit.
 */
export function addEditButton(parts, onSave, canEdit) {
  const { row, bubble, actions } = parts;
  const b = button('edit', 'Edit', () => {
    if (!canEdit() || row.querySelector('.msg-editor')) return;
    const form = document.createElement('form');
    form.className = 'msg-editor';
    const input = document.createElement('textarea');
    input.setAttribute('data-testid', 'edit-input');
    input.setAttribute('aria-label', 'Edit message');
    input.value = bubble.textContent;
    input.rows = Math.min(8, input.value.split('\n').length + 1);
    const save = document.createElement('button');
    save.type = 'submit';
    save.className = 'btn btn-primary';
    save.setAttribute('data-testid', 'edit-save');
    save.textContent = 'Send';
    const cancel = document.createElement('button');
    cancel.type = 'button';
    cancel.className = 'btn btn-quiet';
    cancel.textContent = 'Cancel';
    const close = () => { form.remove(); bubble.hidden = false; actions.hidden = false; };
    const cancelEdit = () => {
      const hadFocus = form.contains(document.activeElement);
      close();
      if (hadFocus) b.focus();
    };
    cancel.addEventListener('click', cancelEdit);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const text = input.value.trim();
      if (!text || !canEdit()) return;
      moveFocusFrom(form);
      close();
      onSave(text);
    });
    form.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') { e.preventDefault(); cancelEdit(); }
    });
    form.append(input, save, cancel);
    bubble.hidden = true;
    actions.hidden = true;
    row.insertBefore(form, bubble);
    input.focus();
  });
  b.setAttribute('aria-label', 'Edit message');
  actions.append(b);
}

// One regenerate button for the page, moved under whichever answer is last; it calls the
// `onClick` it was last placed with.
let regenerate = null;
let onRegenerate = null;

/** Puts the regenerate button under `actions` (the last answer's), or removes it (null). */
export function placeRegenerate(actions, onClick) {
  if (!actions) {
    if (regenerate) moveFocusFrom(regenerate);
    regenerate?.remove();
    return;
  }
  onRegenerate = onClick;
  if (!regenerate) {
    regenerate = button('regenerate', 'Regenerate', () => onRegenerate());
    regenerate.setAttribute('aria-label', 'Regenerate the last answer');
  }
  actions.append(regenerate);
}

/** The rows of the messages from `index` on (data-index), to drop them from the page. */
export function rowsFrom(index) {
  return [...el.messages.querySelectorAll('.msg')].filter((r) => Number(r.dataset.index) >= index);
}
