// The conversation list in the side bar: one item per conversation ([data-testid=conversation],
// the open one aria-current), newest first, each with Rename (an inline input), Markdown and JSON
// export, and Delete (asks first, in place). It only draws and calls back: what the actions do
// is conversations.js's part. Titles are put in as text.
// By keyboard: each item's buttons are reached with Tab (an item's actions show while the focus
// is in it); Rename's input and Delete's question take the focus, Enter saves / Escape cancels,
// and the focus comes back to the item (after a deletion, to the conversation then open).

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
// Enter and Escape give the focus back to the open button; leaving it (Tab, a click elsewhere)
// leaves the focus where it went.
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
  const finish = (save, refocus) => {
    if (done) return;
    done = true;
    form.replaceWith(openButton);
    if (refocus) openButton.focus(); // before the list is redrawn, which keeps it there
    const title = input.value.trim();
    if (save && title && title !== summary.title) rename(summary.id, title);
    drawLatest();
  };
  form.addEventListener('submit', (e) => { e.preventDefault(); finish(true, true); });
  input.addEventListener('keydown', (e) => { if (e.key === 'Escape') { e.preventDefault(); finish(false, true); } });
  input.addEventListener('blur', () => finish(true, false));
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
    // The actions come back while the focus is still in the item: on an item that is not open
    // they only show while it holds the focus (:focus-within), and a hidden button takes none.
    ask.before(actions);
    actions.querySelector('[data-testid="conversation-delete"]')?.focus();
    ask.remove();
    drawLatest();
  });
  const yes = button('conversation-delete-confirm', 'Delete', 'Delete it for good', () => {
    // The item goes: the focus waits on the list's panel and then moves to the open conversation.
    focusOpenAfterDraw = ask.contains(document.activeElement);
    if (focusOpenAfterDraw) el.conversationsPanel.querySelector('summary').focus();
    ask.replaceWith(actions); // no longer asking: the list may be redrawn without it
    remove(summary.id);
  });
  yes.classList.add('conv-danger');
  ask.addEventListener('keydown', (e) => { if (e.key === 'Escape') { e.preventDefault(); cancel.click(); } });
  ask.append(text, yes, cancel);
  actions.replaceWith(ask);
  cancel.focus();
}

// The latest list asked for. While a title is being typed or a deletion confirmed, drawing it
// would throw that away: it waits until they are done.
let latest = null;
let focusOpenAfterDraw = false; // a deletion was confirmed from the keyboard
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
    const item = items.find((i) => i.dataset.id === focusedItem);
    // Its open button first: an item that is not open shows its actions only while it holds the
    // focus, and a hidden button cannot take it.
    item?.querySelector('.conv-open').focus();
    item?.querySelector(`[data-testid="${focusedTestid}"]`)?.focus();
  } else if (focusOpenAfterDraw && items.some((i) => i.dataset.id === openId)) {
    focusOpenAfterDraw = false;
    const summary = el.conversationsPanel.querySelector('summary');
    if (document.activeElement === summary) items.find((i) => i.dataset.id === openId).querySelector('.conv-open').focus();
  }
}
