// Accessibility of the chat page: an independent checker (axe-core, injected into the page) over
// its main views, and the page used with the keyboard alone (page.keyboard, no clicks): the Tab
// order from a fresh load (skip link, model controls, conversation list, settings, message box),
// a visible focus ring at every stop, no focus trap; the confirmation and the error banner;
// sending with Enter and stopping with Escape; the message actions; the conversation list (open,
// rename, delete); live regions; reduced motion; the phone layout. Writes keyboard-focus.png.
//
// Setup that is not what a user does (waiting for a state, reading the DOM, a scripted answer,
// the window size and colour scheme) goes through page.evaluate / Playwright, never a click.

import path from 'node:path';
import { axeChecker, badRings, focusBecomes, focused, has, tabUntil } from './a11y-tools.mjs';

export default async function accessibility(ctx) {
  const { context, page, check, step, S, sleep, waitStatus, LONG, ARTIFACTS_DIR, MODEL_URL, PAGE_URL } = ctx;
  const axe = axeChecker(check);

  // ---- a fresh page, no model: Tab order, the confirmation, the error banner -------------------

  await step('a11y: a fresh page used with the keyboard', async () => {
    const fresh = await context.newPage();
    ctx.watchPage(fresh, 'a11y-fresh');
    try {
      await fresh.goto(PAGE_URL, { waitUntil: 'domcontentloaded' });
      await fresh.waitForFunction(() => window.__mistral?.engine && document.querySelector('[data-testid="conversation"]'), null, { timeout: 60_000 });
      await axe(fresh, 'a fresh page, no model (light)');
      await fresh.emulateMedia({ colorScheme: 'dark' });
      await axe(fresh, 'a fresh page, no model (dark)');
      await fresh.emulateMedia({ colorScheme: null });

      // The Tab order from the top of a fresh load.
      await fresh.keyboard.press('Tab');
      const first = await focused(fresh);
      check('keyboard: the first Tab reaches "Skip to the message box", shown while focused', first.testid === 'skip-link' && first.ok,
        JSON.stringify(first));
      const { stops } = await tabUntil(fresh, has('prompt'), 'the message box');
      const order = ['skip-link', ...stops.map((s) => s.desc)];
      const at = (test) => order.findIndex(test);
      const marks = {
        skip: 0,
        model: at((d) => d === 'model-panel summary' || d === 'model-url'),
        conversations: at((d) => d === 'conversation-open'),
        settings: at((d) => d === 'settings-panel summary' || d.startsWith('settings-')),
        prompt: order.length - 1,
      };
      const inOrder = Object.values(marks).every((v, i, all) => v >= 0 && (i === 0 || v > all[i - 1]));
      check('keyboard: Tab goes skip link → model controls → conversation list → settings → message box', inOrder,
        `${JSON.stringify(marks)}; ${order.join(' → ')}`);
      const fileStop = stops.find((s) => s.desc === 'model-file');
      check('keyboard: the file input is reached, its focus shown on its label button', !!fileStop && fileStop.ok, JSON.stringify(fileStop ?? null));
      const bad = badRings([first, ...stops]);
      check('keyboard: every Tab stop shows a focus ring (≥ 2 px, ≥ 3:1 against its background) and is in view', bad.length === 0,
        bad.length ? bad.join('; ') : `${stops.length + 1} stops`);

      // No trap: on past the end of the page and round to the skip link; the link goes to the box.
      const round = await tabUntil(fresh, has('skip-link'), 'the skip link again', { max: 20 });
      check('keyboard: no focus trap (Tab from the message box goes on, round to the skip link)', !!round.found,
        round.stops.map((s) => s.desc).join(' → '));
      await fresh.keyboard.press('Enter');
      const skipped = await focusBecomes(fresh, has('prompt'), 'the message box', 3000).catch((e) => ({ desc: e.message }));
      check('keyboard: Enter on the skip link puts the focus in the message box', skipped.testid === 'prompt', skipped.desc);

      // The confirmation takes the focus, Escape or Cancel closes it, the focus comes back.
      await tabUntil(fresh, (f) => f.desc === 'model-url', 'the model URL field', { back: true });
      await fresh.keyboard.type(MODEL_URL);
      await fresh.keyboard.press('Enter');
      await fresh.locator(S('confirm')).waitFor({ state: 'visible', timeout: 10_000 });
      const inBox = await focusBecomes(fresh, (f) => f.inConfirm, 'the confirmation', 3000).catch((e) => ({ desc: e.message }));
      check('keyboard: the confirmation (confirm-load) takes the focus when it opens', inBox.inConfirm === true, inBox.desc);
      await axe(fresh, 'the confirmation before a download');
      await fresh.keyboard.press('Escape');
      const back1 = await focused(fresh);
      const hidden1 = await fresh.locator(S('confirm')).isHidden();
      check('keyboard: Escape closes the confirmation and the focus goes back to the URL field', hidden1 && back1.desc === 'model-url',
        `hidden ${hidden1}, focus on ${back1.desc}`);
      await fresh.keyboard.press('Enter');
      await fresh.locator(S('confirm')).waitFor({ state: 'visible', timeout: 10_000 });
      const buttons = await tabUntil(fresh, has('confirm-cancel'), 'Cancel in the confirmation', { max: 4 });
      await fresh.keyboard.press('Enter');
      const back2 = await focused(fresh);
      check('keyboard: Tab reaches the confirmation\'s buttons; Cancel (Enter) closes it, the focus back on the URL field',
        buttons.stops[0].testid === 'confirm-load' && (await fresh.locator(S('confirm')).isHidden()) && back2.desc === 'model-url',
        `${buttons.stops.map((s) => s.desc).join(' → ')}; then the focus is on ${back2.desc}`);

      // An error (Download only with a URL that is none): the banner is an alert, Dismiss hands
      // the focus to the message box.
      await fresh.keyboard.press('ControlOrMeta+A');
      await fresh.keyboard.type('http://');
      await tabUntil(fresh, has('download-only'), 'Download only', { max: 3 });
      await fresh.keyboard.press('Enter');
      await fresh.locator(S('error')).waitFor({ state: 'visible', timeout: 5000 });
      const role = await fresh.locator(S('error')).getAttribute('role');
      const stayed = await focused(fresh);
      check('errors: the banner is role=alert and leaves the focus where it was', role === 'alert' && stayed.desc === 'download-only',
        `role ${role}, focus on ${stayed.desc}`);
      await axe(fresh, 'the error banner');
      await tabUntil(fresh, (f) => f.desc === 'dismiss-error', 'Dismiss', { back: true, max: 40 });
      await fresh.keyboard.press('Enter');
      const dismissed = await focused(fresh);
      check('keyboard: Dismiss (Enter) hides the banner and puts the focus in the message box',
        (await fresh.locator(S('error')).isHidden()) && dismissed.testid === 'prompt', `focus on ${dismissed.desc}`);
    } finally {
      await fresh.close();
    }
  });

  // ---- the chat page with the model: load, send, stop, message actions, settings --------------

  const loaded = await step('a11y: the model loaded with the keyboard', async () => {
    await page.reload({ waitUntil: 'domcontentloaded' });
    await page.locator(S('confirm')).waitFor({ state: 'visible', timeout: 60_000 });
    await focusBecomes(page, (f) => f.inConfirm, 'the confirmation', 10_000);
    const toButton = await tabUntil(page, has('confirm-load'), 'confirm-load', { max: 3 });
    // Count what the load writes into the visible progress text and into the live region a
    // screen reader speaks (phase changes and quarters only).
    await page.evaluate(() => {
      window.__e2eProgress = { shown: 0, spoken: [] };
      new MutationObserver(() => { window.__e2eProgress.shown++; })
        .observe(document.getElementById('progress-text'), { childList: true, characterData: true, subtree: true });
      const region = document.getElementById('progress-announce');
      new MutationObserver(() => { window.__e2eProgress.spoken.push(region.textContent); })
        .observe(region, { childList: true, characterData: true, subtree: true });
    });
    await page.keyboard.press('Enter');
    await waitStatus(page, 'ready', LONG);
    const progress = await page.evaluate(() => window.__e2eProgress);
    const live = await page.evaluate(() => ({
      text: document.getElementById('progress-text').getAttribute('aria-live'),
      region: document.getElementById('progress-announce').getAttribute('aria-live'),
    }));
    check('live regions: a load is spoken at its start, phase changes and quarters, not at every progress update',
      live.text === 'off' && live.region === 'polite' && progress.spoken.length >= 2 && progress.spoken.length <= 12
        && progress.shown > progress.spoken.length,
      JSON.stringify({ live, shown: progress.shown, spoken: progress.spoken }));
    const after = await focusBecomes(page, has('prompt'), 'the message box', 5000).catch((e) => ({ desc: e.message }));
    check('keyboard: after a reload, Tab and Enter in the confirmation load the model; the focus then goes to the message box',
      toButton.found && after.testid === 'prompt', `focus on ${after.desc}`);
    const bar = await page.locator('#progress-bar').evaluate((b) => ({ label: b.getAttribute('aria-label'), text: b.getAttribute('aria-valuetext') }));
    const dl = await page.locator('#download-bar').getAttribute('aria-label');
    check('labels: the progress bars are named and the load\'s bar said its progress as text (aria-valuetext)',
      !!bar.label && !!bar.text && !!dl, JSON.stringify({ ...bar, download: dl }));
    return true;
  });
  if (!loaded) return;

  await step('a11y: a Markdown answer sent with Enter', async () => {
    // A scripted answer (the page's send path, the engine's create() replaced) with what makes
    // a rendered answer: a code block with a long line, a table, a link, a list.
    const answer = 'A table and some code:\n\n| Model | Size |\n| --- | --- |\n| SmolLM2 | 135M |\n\n' +
      `\`\`\`js\nconst line = "${'a long line '.repeat(20)}";\n\`\`\`\n\n- **bold**, *em* and [a link](https://example.com)\n- \`code\`\n`;
    await page.evaluate((answer) => {
      const chat = window.__mistral.engine.chat.completions;
      window.__a11yRealCreate = chat.create;
      chat.create = async () => (async function* () {
        for (let i = 0; i < answer.length; i += 9) {
          await new Promise((r) => setTimeout(r, 10));
          yield { choices: [{ index: 0, delta: { content: answer.slice(i, i + 9) }, finish_reason: null }] };
        }
        yield { choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] };
      })();
    }, answer);
    try {
      const before = await page.locator(S('assistant-message')).count();
      await focusBecomes(page, has('prompt'), 'the message box', 1000);
      await page.keyboard.type('Show me a table and some code.');
      await page.keyboard.press('Enter');
      await page.waitForFunction((n) => document.querySelectorAll('[data-testid="assistant-message"]').length > n, before, { timeout: 10_000 });
      await waitStatus(page, 'ready', 30_000);
    } finally {
      await page.evaluate(() => { window.__mistral.engine.chat.completions.create = window.__a11yRealCreate; });
    }
    const shown = await page.evaluate(() => {
      const last = [...document.querySelectorAll('[data-testid="assistant-message"]')].pop();
      return {
        question: [...document.querySelectorAll('[data-testid="user-message"]')].pop()?.textContent,
        code: !!last?.querySelector('pre code'),
        table: !!last?.querySelector('table'),
      };
    });
    check('keyboard: a question typed in the message box is sent with Enter', shown.question === 'Show me a table and some code.' && shown.code && shown.table,
      JSON.stringify(shown));
    await axe(page, 'the model loaded, a conversation with a Markdown answer (light)');
    await page.emulateMedia({ colorScheme: 'dark' });
    await axe(page, 'the model loaded, a conversation with a Markdown answer (dark)');
    await page.emulateMedia({ colorScheme: null });
  });

  await step('a11y: Escape stops an answer; live regions; reduced motion', async () => {
    await ctx.setSetting(page, 'max-tokens', 256);
    await ctx.setSetting(page, 'temperature', 0.7);
    // Any scroll the page asks for while the answer streams, with the behaviour it asks for.
    await page.evaluate(() => {
      window.__a11yScrolls = [];
      const note = (name) => (opts) => { if (opts && typeof opts === 'object') window.__a11yScrolls.push({ name, behavior: opts.behavior ?? 'auto' }); };
      for (const [proto, names] of [[Element.prototype, ['scrollTo', 'scrollBy', 'scrollIntoView']], [window, ['scrollTo', 'scrollBy']]]) {
        for (const name of names) {
          const real = proto[name];
          proto[name] = function (...args) { note(name)(args[0]); return real.apply(this, args); };
        }
      }
    });
    // In a new chat (a short prompt to prefill on a slow adapter): Tab from the box, Enter.
    const openBefore = await page.locator(`${S('conversation')}[aria-current="true"]`).getAttribute('data-id');
    await tabUntil(page, has('new-chat'), 'New chat', { max: 3 });
    await page.keyboard.press('Enter');
    await page.waitForFunction((old) => document.querySelector('[data-testid="conversation"][aria-current="true"]')?.dataset.id !== old,
      openBefore, { timeout: 10_000 });
    const start = await focusBecomes(page, has('prompt'), 'the message box', 3000).catch((e) => ({ desc: e.message }));
    const answers = await page.locator(S('assistant-message')).count();
    check('keyboard: New chat (Enter) opens an empty conversation and puts the focus in the message box',
      start.testid === 'prompt' && answers === 0, `${answers} answer(s); focus on ${start.desc}`);
    if (start.testid !== 'prompt') throw new Error(`the focus is on ${start.desc}, not in the message box`);
    await page.keyboard.type('Write a long story about a dragon.');
    await page.keyboard.press('Enter');
    await page.waitForFunction((n) => {
      const all = document.querySelectorAll('[data-testid="assistant-message"]');
      return all.length > n && all[all.length - 1].textContent.trim().length > 0;
    }, answers, { timeout: Math.min(LONG, 300_000), polling: 100 });
    const live = await page.evaluate(() => ({
      status: document.querySelector('[data-testid="status"]').textContent,
      statusRole: document.querySelector('[data-testid="status"]').getAttribute('role'),
      log: document.getElementById('messages').getAttribute('role'),
      polite: document.getElementById('messages').getAttribute('aria-live'),
      busy: document.getElementById('messages').getAttribute('aria-busy'),
    }));
    const motion = () => page.evaluate(() => ({
      status: getComputedStyle(document.querySelector('[data-testid="status"]'), '::before').animationName,
      cursor: getComputedStyle(document.querySelector('.msg.streaming .bubble'), '::after').animationName,
      scroll: [getComputedStyle(document.documentElement).scrollBehavior, getComputedStyle(document.getElementById('messages')).scrollBehavior],
    }));
    const moving = await motion();
    await page.emulateMedia({ reducedMotion: 'reduce' });
    const still = await motion();
    await page.emulateMedia({ reducedMotion: null });
    await page.emulateMedia({ colorScheme: 'dark' });
    await axe(page, 'an answer streaming, Stop enabled (dark)');
    await page.emulateMedia({ colorScheme: null });

    const beforeEscape = await focused(page);
    await page.keyboard.press('Escape');
    await waitStatus(page, 'ready', 30_000);
    const after = await page.evaluate(() => ({
      busy: document.getElementById('messages').getAttribute('aria-busy'),
      meta: [...document.querySelectorAll('.msg.assistant .msg-meta')].pop()?.textContent ?? '',
    }));
    const end = await focused(page);
    check('keyboard: Escape in the message box stops the answer (status ready, "stopped"), the focus stays there',
      start.testid === 'prompt' && beforeEscape.testid === 'prompt' && /stopped/.test(after.meta) && end.testid === 'prompt',
      `focus ${start.desc} / ${beforeEscape.desc} / ${end.desc}; ${JSON.stringify(after.meta)}`);
    check('live regions: status badge role=status; the message log polite and aria-busy while the answer streams, not after',
      live.status === 'generating' && live.statusRole === 'status' && live.log === 'log' && live.polite === 'polite' && live.busy === 'true' && after.busy === null,
      JSON.stringify({ ...live, busyAfter: after.busy }));
    const smooth = await page.evaluate(() => window.__a11yScrolls.filter((s) => s.behavior === 'smooth'));
    check('reduced motion: the status and the streaming cursor pulse normally, and not at all when reduced motion is asked for',
      moving.status === 'pulse' && moving.cursor === 'pulse' && still.status === 'none' && still.cursor === 'none',
      JSON.stringify({ normal: moving, reduced: still }));
    check('reduced motion: no smooth scrolling (CSS scroll-behavior auto, no scroll call asking for smooth)',
      still.scroll.every((b) => b === 'auto') && smooth.length === 0, JSON.stringify({ scrollBehavior: still.scroll, smoothCalls: smooth }));
  });

  await step('a11y: message actions with the keyboard', async () => {
    const origin = new URL(PAGE_URL).origin;
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
    // Back from the message box to the last question's Edit.
    const lastUser = await page.evaluate(() => [...document.querySelectorAll('.msg.user')].pop()?.dataset.index);
    const { found: edit, stops } = await tabUntil(page, (f) => f.testid === 'edit' && f.row === lastUser, 'the last question\'s Edit', { back: true, max: 40 });
    const passed = [...stops, edit].filter((s) => ['copy-message', 'regenerate', 'edit'].includes(s.testid));
    const bad = badRings(passed);
    check('keyboard: message actions (copy, regenerate, edit) are reached with Tab and show when focused', passed.some((s) => s.testid === 'regenerate')
      && passed.some((s) => s.testid === 'copy-message') && bad.length === 0, bad.length ? bad.join('; ') : passed.map((s) => `${s.desc}#${s.row}`).join(' ← '));
    await page.keyboard.press('Enter');
    const editing = await focusBecomes(page, has('edit-input'), 'the edit box', 3000);
    await axe(page, 'editing a question');
    await page.keyboard.press('Escape');
    const back = await focused(page);
    check('keyboard: Edit opens the edit box with the focus in it; Escape closes it and the focus goes back to Edit',
      editing.testid === 'edit-input' && back.testid === 'edit' && back.row === lastUser && (await page.locator(S('edit-input')).count()) === 0,
      `then ${back.desc}#${back.row}`);
    await page.keyboard.press('Shift+Tab');
    const copy = await focused(page);
    await page.keyboard.press('Enter');
    await page.waitForFunction((i) => document.querySelector(`.msg[data-index="${i}"] [data-testid="copy-message"]`)?.dataset.state, lastUser, { timeout: 5000 });
    const clip = await page.evaluate(() => navigator.clipboard.readText());
    check('keyboard: Copy (Enter) puts the question on the clipboard', copy.testid === 'copy-message' && clip === 'Write a long story about a dragon.',
      `${copy.desc}; ${JSON.stringify(clip)}`);
    const answers = await page.locator(S('assistant-message')).count();
    await tabUntil(page, has('regenerate'), 'Regenerate', { max: 10 });
    await page.keyboard.press('Enter');
    await waitStatus(page, 'generating', 10_000);
    const during = await focused(page);
    await page.keyboard.press('Escape');
    await waitStatus(page, 'ready', 30_000);
    check('keyboard: Regenerate (Enter) asks again, the focus goes to the message box, Escape stops it',
      during.testid === 'prompt' && (await page.locator(S('assistant-message')).count()) === answers, `focus on ${during.desc} while answering`);
  });

  await step('a11y: settings with the keyboard', async () => {
    await tabUntil(page, (f) => f.desc === 'settings-panel summary', 'the Settings panel');
    const wasOpen = await page.locator('#settings-panel').evaluate((d) => d.open);
    if (!wasOpen) await page.keyboard.press('Enter');
    const opened = await page.locator('#settings-panel').evaluate((d) => d.open);
    await tabUntil(page, has('settings-temperature'), 'the temperature field', { max: 5 });
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type('hot');
    const error = page.locator('#setting-temperature-error');
    const invalid = await page.locator(S('settings-temperature')).getAttribute('aria-invalid');
    check('keyboard: Enter opens Settings, Tab reaches its fields; a bad value is marked (aria-invalid, its error)',
      opened && invalid === 'true' && (await error.isVisible()), `open ${opened}, aria-invalid ${invalid}`);
    await axe(page, 'the settings panel open, a field in error');
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type('0.7');
    await page.keyboard.press('Tab');
    check('keyboard: a value typed in a setting is kept', (await page.locator(S('settings-temperature')).inputValue()) === '0.7' && !(await error.isVisible()));
  });

  await step('a11y: the conversation list with the keyboard', async () => {
    const title = (id) => page.locator(`${S('conversation')}[data-id="${id}"] ${S('conversation-title')}`).textContent();
    const openId = () => page.locator(`${S('conversation')}[aria-current="true"]`).getAttribute('data-id', { timeout: 5000 });
    // A new chat, named with Rename: Enter keeps the title, Escape drops the typing.
    const previous = await openId();
    await tabUntil(page, has('new-chat'), 'New chat');
    await page.keyboard.press('Enter');
    await page.waitForFunction((old) => document.querySelector('[data-testid="conversation"][aria-current="true"]')?.dataset.id !== old, previous, { timeout: 10_000 });
    const fresh = await openId();
    await tabUntil(page, (f) => f.testid === 'conversation-rename' && f.conv === fresh, 'Rename of the new chat');
    await page.keyboard.press('Enter');
    const input = await focusBecomes(page, has('conversation-title-input'), 'the title field', 3000);
    await axe(page, 'renaming a conversation');
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type('Keyboard chat');
    await page.keyboard.press('Enter');
    await page.waitForFunction((id) => document.querySelector(`[data-testid="conversation"][data-id="${id}"] [data-testid="conversation-title"]`)?.textContent === 'Keyboard chat', fresh, { timeout: 10_000 });
    const saved = await focusBecomes(page, (f) => f.testid === 'conversation-open' && f.conv === fresh, 'the renamed conversation', 5000);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await focusBecomes(page, has('conversation-title-input'), 'the title field', 3000);
    await page.keyboard.type(' not kept');
    await page.keyboard.press('Escape');
    const kept = await focused(page);
    check('keyboard: Rename (Enter) focuses the title field; Enter saves, Escape cancels, the focus back on the conversation each time',
      input.testid === 'conversation-title-input' && saved.conv === fresh && kept.testid === 'conversation-open' && kept.conv === fresh
        && (await title(fresh)) === 'Keyboard chat', `then ${kept.desc} (${kept.conv === fresh ? 'same' : 'another'} conversation); title ${JSON.stringify(await title(fresh))}`);

    // Another conversation: its actions show while the keyboard is on it; Enter opens it.
    const other = await tabUntil(page, (f) => f.testid === 'conversation-open' && f.conv !== fresh, 'another conversation');
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'keyboard-focus.png') });
    const actionsOf = (id) => page.evaluate((id) => getComputedStyle(document.querySelector(`[data-testid="conversation"][data-id="${id}"] .conv-actions`)).display, id);
    await page.keyboard.press('Shift+Tab');
    const away = await actionsOf(other.found.conv);
    await page.keyboard.press('Tab');
    const backOn = await focused(page);
    check('keyboard: a conversation\'s actions show while the keyboard is on it (:focus-within), not only on hover',
      other.found.convActionsShown === true && other.found.ok && away === 'none' && backOn.conv === other.found.conv && backOn.convActionsShown === true,
      `focused: actions ${other.found.convActionsShown ? 'shown' : 'hidden'}${other.found.why ? ` (${other.found.why})` : ''}; focus moved away: ${away}`);
    await page.keyboard.press('Enter');
    await page.waitForFunction((id) => document.querySelector('[data-testid="conversation"][aria-current="true"]')?.dataset.id === id, other.found.conv, { timeout: 10_000 });
    const opened = await focusBecomes(page, (f) => f.testid === 'conversation-open' && f.conv === other.found.conv, 'the opened conversation', 5000)
      .catch((e) => ({ desc: e.message }));
    check('keyboard: Enter on a conversation opens it; the focus stays on it', opened.conv === other.found.conv, opened.desc);

    // Delete the new chat: the question takes the focus, Escape gives it back, Delete removes it.
    await tabUntil(page, (f) => f.testid === 'conversation-open' && f.conv === fresh, 'the new chat', { back: true });
    await tabUntil(page, (f) => f.testid === 'conversation-delete' && f.conv === fresh, 'its Delete', { max: 6 });
    await page.keyboard.press('Enter');
    const asking = await focusBecomes(page, has('conversation-delete-cancel'), 'the deletion question', 3000);
    await axe(page, 'deleting a conversation: the question');
    await page.keyboard.press('Escape');
    const notDeleted = await focused(page);
    check('keyboard: Delete asks with the focus on the question; Escape cancels it, the focus back on Delete',
      asking.conv === fresh && notDeleted.testid === 'conversation-delete' && notDeleted.conv === fresh, `then ${notDeleted.desc}`);
    await page.keyboard.press('Enter');
    await focusBecomes(page, has('conversation-delete-cancel'), 'the deletion question', 3000);
    await page.keyboard.press('Shift+Tab');
    const yes = await focused(page);
    await page.keyboard.press('Enter');
    await page.waitForFunction((id) => !document.querySelector(`[data-testid="conversation"][data-id="${id}"]`), fresh, { timeout: 10_000 });
    const landed = await focusBecomes(page, (f) => f.testid === 'conversation-open' && f.convCurrent, 'the open conversation', 5000)
      .catch((e) => ({ desc: e.message }));
    check('keyboard: the deletion confirmed with Enter removes it, the focus goes to the open conversation',
      yes.testid === 'conversation-delete-confirm' && landed.conv === other.found.conv, `${yes.desc}, then ${landed.desc}`);
  });

  await step('a11y: the model panel', async () => {
    await page.locator('#model-panel').evaluate((d) => { d.open = true; });
    await page.locator(S('cached-model')).first().waitFor({ state: 'visible', timeout: 10_000 });
    await axe(page, 'the model panel: presets, stored models, storage');
  });

  await step('a11y: phone layout (375 px, dark)', async () => {
    await page.setViewportSize({ width: 375, height: 740 });
    await page.emulateMedia({ colorScheme: 'dark' });
    try {
      await sleep(300);
      await axe(page, 'phone layout, 375 px (dark)');
      // From the skip link forwards: every side panel's heading is a Tab stop that opens it.
      await tabUntil(page, has('skip-link'), 'the skip link', { back: true, max: 400 });
      const { stops } = await tabUntil(page, has('prompt'), 'the message box', { max: 400 });
      const panels = ['model-panel', 'conversations-panel', 'info-panel', 'settings-panel'];
      const reached = panels.filter((id) => stops.some((s) => s.desc === `${id} summary` && s.ok));
      const bad = badRings(stops);
      check('phone: each side panel (model, conversations, info, settings) is reached with Tab, every stop in view with its focus ring',
        reached.length === panels.length && bad.length === 0, `reached ${reached.join(', ')}${bad.length ? `; ${bad.join('; ')}` : ''}`);
      await tabUntil(page, (f) => f.desc === 'conversations-panel summary', 'the Conversations panel', { back: true });
      const toggled = [];
      for (let i = 0; i < 2; i++) {
        await page.keyboard.press('Enter');
        toggled.push(await page.locator('#conversations-panel').evaluate((d) => d.open));
      }
      check('phone: Enter on a panel\'s heading opens and closes it', toggled[0] !== toggled[1], JSON.stringify(toggled));
      if (!toggled[1]) await page.keyboard.press('Enter'); // left open, as it was on this page

      // The skip link brings the composer into view, whole, with nothing scrolling sideways.
      await tabUntil(page, has('skip-link'), 'the skip link', { back: true, max: 400 });
      await page.keyboard.press('Enter');
      await focusBecomes(page, has('prompt'), 'the message box', 3000);
      await sleep(200);
      const box = await page.evaluate(() => {
        const r = (sel) => { const b = document.querySelector(sel).getBoundingClientRect(); return { left: b.left, right: b.right, top: b.top, bottom: b.bottom }; };
        return { width: innerWidth, height: innerHeight, over: document.documentElement.scrollWidth - document.documentElement.clientWidth,
          composer: r('#composer'), send: r('[data-testid="send"]'), prompt: r('[data-testid="prompt"]') };
      });
      const inside = (b) => b.left >= 0 && b.right <= box.width && b.top >= 0 && b.bottom <= box.height;
      check('phone: the skip link shows the composer (message box and Send) in the window, with no horizontal scroll',
        box.over <= 0 && inside(box.composer) && inside(box.send) && inside(box.prompt), JSON.stringify(box));
    } finally {
      await page.emulateMedia({ colorScheme: null });
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });
}
