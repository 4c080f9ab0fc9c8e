// The conversation list in the side bar: one item per conversation ([data-testid=conversation],
// the open one aria-current), newest first, each with Rename (an inline input), Markdown and JSON
// export, and Delete (asks first, in place). It only draws and calls back: what the actions do
// is conversations.js's part. Titles are put in as text.

import { el } from './dom.js';

function button(testid, label, title, onClick) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'conv-action';
  b.setAttribute('data-testid', testid);
  b.textContent = label;
  b.title = title;
  b.addEventListener('click', onClick);
  return b;
}

const when = (t) => new Date(t).toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

// Swaps the item's open button for a title input: Enter or leaving it saves, Escape cancels.
function startRename(item, openButton, summary, rename) {
  const form = document.createElement('form');
  form.className = 'conv-rename';
  const input = document.createElement('input');
  input.type = 'text';
  input.value = summary.title;
  input.maxLength = 200;
  input.setAttribute('data-testid', 'conversation-title-input');
  input.setAttribute('aria-label', 'Conversation title');
  let done = false;
  const finish = (save) => {
    if (done) return;
    done = true;
    form.replaceWith(openButton);
    const title = input.value.trim();
    if (save && title && title !== summary.title) rename(summary.id, title);
    else openButton.focus();
    drawLatest();
  };
  form.addEventListener('submit', (e) => { e.preventDefault(); finish(true); });
  input.addEventListener('keydown', (e) => { if (e.key === 'Escape') { e.preventDefault(); finish(false); } });
  input.addEventListener('blur', () => finish(true));
  form.append(input);
  openButton.replaceWith(form);
  input.select();
  input.focus();
}

// Replaces the item's actions with "Delete? [Delete] [Cancel]" until one is chosen.
function askDelete(actions, summary, remove) {
  const ask = document.createElement('div');
  ask.className = 'conv-confirm';
  ask.setAttribute('role', 'group');
  ask.setAttribute('aria-label', 'Confirm deletion');
  const text = document.createElement('span');
  text.textContent = 'Delete this conversation?';
  const cancel = button('conversation-delete-cancel', 'Cancel', 'Keep it', () => {
    ask.replaceWith(actions);
    actions.querySelector('[data-testid="conversation-delete"]')?.focus();
    drawLatest();
  });
  const yes = button('conversation-delete-confirm', 'Delete', 'Delete it for good', () => {
    ask.replaceWith(actions); // no longer asking: the list may be redrawn without it
    remove(summary.id);
  });
  yes.classList.add('conv-danger');
  ask.append(text, yes, cancel);
  actions.replaceWith(ask);
  cancel.focus();
}

// The latest list asked for. While a title is being typed or a deletion confirmed, drawing it
// would throw that away: it waits until they are done.
let latest = null;
const busy = () => !!el.conversationList.querySelector('.conv-rename, .conv-confirm');

function drawLatest() {
  if (latest && !busy()) draw(...latest);
}

/**
 * Draws `summaries` (newest first) with `openId` marked. `on`: { open(id), rename(id, title),
 * remove(id), exportAs(id, 'markdown' | 'json') }.
 */
export function renderConversationList(summaries, openId, on) {
  latest = [summaries, openId, on];
  drawLatest();
}

function draw(summaries, openId, on) {
  const items = summaries.map((summary) => {
    const item = document.createElement('li');
    item.className = 'conv';
    item.dataset.id = summary.id;
    item.setAttribute('data-testid', 'conversation');
    if (summary.id === openId) item.setAttribute('aria-current', 'true');

    const open = document.createElement('button');
    open.type = 'button';
    open.className = 'conv-open';
    open.setAttribute('data-testid', 'conversation-open');
    const title = document.createElement('span');
    title.className = 'conv-title';
    title.setAttribute('data-testid', 'conversation-title');
    title.textContent = summary.title;
    const meta = document.createElement('span');
    meta.className = 'conv-meta';
    const count = summary.messageCount ? `${summary.messageCount} message${summary.messageCount === 1 ? '' : 's'}` : 'empty';
    meta.textContent = [when(summary.updated), summary.model?.name, count].filter(Boolean).join(' · ');
    open.append(title, meta);
    open.addEventListener('click', () => on.open(summary.id));

    const actions = document.createElement('div');
    actions.className = 'conv-actions';
    actions.append(
      button('conversation-rename', 'Rename', 'Rename this conversation', () => startRename(item, open, summary, on.rename)),
      button('export-markdown', 'Markdown', 'Download as Markdown', () => on.exportAs(summary.id, 'markdown')),
      button('export-json', 'JSON', 'Download as JSON', () => on.exportAs(summary.id, 'json')),
      button('conversation-delete', 'Delete', 'Delete this conversation', () => askDelete(actions, summary, on.remove)),
    );
    item.append(open, actions);
    return item;
  });
  // Keep the keyboard where it was: the same button of the same conversation.
  const focused = document.activeElement;
  const focusedItem = el.conversationList.contains(focused) ? focused.closest('.conv')?.dataset.id : null;
  const focusedTestid = focused?.getAttribute?.('data-testid');
  el.conversationList.replaceChildren(...items);
  if (focusedItem) {
    const again = items.find((i) => i.dataset.id === focusedItem)?.querySelector(`[data-testid="${focusedTestid}"]`);
    again?.focus();
  }
}
