// Saved conversations and per-conversation settings (web/app/conversations.js, settings.js):
// New chat adds a conversation titled from its first question; a reload reopens it with its
// messages, system prompt and settings; rename, Markdown/JSON export and delete work; every
// sampler setting reaches the engine (observed in the answers where a tiny model shows it: greedy
// and seeded repeats, a stop string, max_tokens; in the recorded request for the rest); a bad
// value is refused at its field. Writes conversations.png.

import fs from 'node:fs';
import path from 'node:path';

const DB = 'mistral-wgpu-chat';

// A stored conversation record, read from IndexedDB in the page (null if absent).
function storedConversation(page, id) {
  return page.evaluate(({ db, id }) => new Promise((resolve, reject) => {
    const open = indexedDB.open(db);
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const conn = open.result;
      const get = conn.transaction('conversations').objectStore('conversations').get(id);
      get.onsuccess = () => { resolve(get.result ?? null); conn.close(); };
      get.onerror = () => { reject(get.error); conn.close(); };
    };
  }), { db: DB, id });
}

export default async function conversations(ctx) {
  const { page, check, step, S, sleep, waitStatus, setSetting, confirmLoad, LONG, ARTIFACTS_DIR } = ctx;
  const OPEN = `${S('conversation')}[aria-current="true"]`;
  const texts = (id) => page.locator(S(id)).allTextContents();
  const count = (id) => page.locator(S(id)).count();
  const openId = () => page.locator(OPEN).getAttribute('data-id', { timeout: 5000 });
  const value = (id) => page.locator(S(id)).inputValue();
  // Polls `fn` until it returns something truthy (saves land in IndexedDB a moment after a turn).
  const until = async (fn, ms = 10_000) => {
    const end = Date.now() + ms;
    for (;;) {
      const v = await fn();
      if (v || Date.now() > end) return v;
      await sleep(200);
    }
  };
  const send = async (text) => {
    const before = await count('assistant-message');
    await page.locator(S('prompt')).fill(text);
    await page.locator(S('send')).click();
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="assistant-message"]').length > n, before, { timeout: 10_000 });
    await waitStatus(page, 'ready', LONG);
  };

  // 1. New chat, a question, a reload: the same conversation comes back.
  const SETTINGS = { 'settings-temperature': '0', 'settings-max-tokens': '8', 'settings-top-k': '33', 'settings-seed': '1234', 'settings-stop': 'ZZZ' };
  const SYSTEM = 'You are a helpful assistant who answers briefly.';
  const QUESTION = 'What is the capital of France?';
  const saved = await step('conversations: new chat, a question, the list', async () => {
    const before = await count('conversation');
    await page.locator(S('new-chat')).click();
    await waitStatus(page, 'ready', 10_000);
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="conversation"]').length === n + 1, before, { timeout: 5000 }).catch(() => {});
    const fresh = { items: await count('conversation'), messages: (await count('user-message')) + (await count('assistant-message')),
      title: await page.locator(`${OPEN} ${S('conversation-title')}`).textContent() };
    check('conversations: New chat opens an empty conversation and adds it to the list',
      fresh.items === before + 1 && fresh.messages === 0 && fresh.title === 'New chat', JSON.stringify({ before, ...fresh }));

    await setSetting(page, 'system-prompt', SYSTEM);
    for (const [id, v] of Object.entries(SETTINGS)) await setSetting(page, id, v);
    await send(QUESTION);
    const id = await openId();
    const record = await until(async () => {
      const r = await storedConversation(page, id);
      return r && r.messages.length === 2 ? r : null;
    });
    const title = await page.locator(`${OPEN} ${S('conversation-title')}`).textContent();
    check('conversations: the list shows the conversation titled from its question, and it is stored',
      title === QUESTION && record?.title === QUESTION && record.system === SYSTEM && record.settings.top_k === 33,
      JSON.stringify({ title, stored: record && { title: record.title, messages: record.messages.length, system: record.system, settings: record.settings } }));
    return { id, users: await texts('user-message'), answers: await texts('assistant-message') };
  });

  if (saved) {
    await step('conversations: a reload reopens the open conversation', async () => {
      await page.reload({ waitUntil: 'domcontentloaded' });
      await confirmLoad(page);
      await waitStatus(page, 'ready', LONG);
      const after = { id: await openId(), users: await texts('user-message'), answers: await texts('assistant-message') };
      check('conversations: after a reload the same conversation is open with the same messages',
        after.id === saved.id && JSON.stringify(after.users) === JSON.stringify(saved.users) && after.users.length === 1
          && JSON.stringify(after.answers) === JSON.stringify(saved.answers) && after.answers.length === 1,
        JSON.stringify({ saved, after }));
      const settings = {};
      for (const id of Object.keys(SETTINGS)) settings[id] = await value(id);
      const system = await value('system-prompt');
      check('conversations: after a reload the conversation\'s system prompt and settings are back',
        system === SYSTEM && JSON.stringify(settings) === JSON.stringify(SETTINGS), JSON.stringify({ system, settings }));
    });

    // 2. Rename, export, delete.
    await step('conversations: rename, export, delete', async () => {
      await page.locator(`${OPEN} ${S('conversation-rename')}`).click();
      await page.locator(S('conversation-title-input')).fill('Capitals (renamed)');
      await page.locator(S('conversation-title-input')).press('Enter');
      const renamed = await until(async () => (await storedConversation(page, saved.id))?.title === 'Capitals (renamed)');
      const shown = await page.locator(`${OPEN} ${S('conversation-title')}`).textContent();
      check('conversations: rename changes the title in the list and the store', renamed && shown === 'Capitals (renamed)', JSON.stringify({ shown, renamed }));

      const [json] = await Promise.all([page.waitForEvent('download', { timeout: 10_000 }), page.locator(`${OPEN} ${S('export-json')}`).click()]);
      const exported = JSON.parse(fs.readFileSync(await json.path(), 'utf8'));
      check('conversations: export JSON downloads the conversation (messages, system prompt, settings, model)',
        json.suggestedFilename().endsWith('.json') && exported.format === 'mistral-wgpu-conversation' && exported.title === 'Capitals (renamed)'
          && exported.messages.length === 2 && exported.messages[0].role === 'user' && exported.messages[0].content === QUESTION
          && exported.messages[1].role === 'assistant' && exported.messages[1].content.trim().length > 0
          && exported.system === SYSTEM && exported.settings.seed === 1234 && JSON.stringify(exported.settings.stop) === '["ZZZ"]'
          && typeof exported.model?.name === 'string',
        `${json.suggestedFilename()}: ${JSON.stringify(exported).slice(0, 400)}`);
      const [md] = await Promise.all([page.waitForEvent('download', { timeout: 10_000 }), page.locator(`${OPEN} ${S('export-markdown')}`).click()]);
      const markdown = fs.readFileSync(await md.path(), 'utf8');
      check('conversations: export Markdown downloads the conversation',
        md.suggestedFilename().endsWith('.md') && markdown.startsWith('# Capitals (renamed)') && markdown.includes(`## User\n\n${QUESTION}`)
          && markdown.includes(`## Assistant\n\n${exported.messages[1].content}`) && markdown.includes(SYSTEM),
        `${md.suggestedFilename()}: ${JSON.stringify(markdown.slice(0, 300))}`);

      // Delete asks first: Cancel keeps it; Delete removes it and opens the newest one left.
      const before = await count('conversation');
      await page.locator(`${OPEN} ${S('conversation-delete')}`).click();
      await page.locator(S('conversation-delete-cancel')).click();
      const kept = (await count('conversation')) === before && (await storedConversation(page, saved.id)) !== null;
      await page.locator(`${OPEN} ${S('conversation-delete')}`).click();
      await page.locator(S('conversation-delete-confirm')).click();
      await page.waitForFunction((n) => document.querySelectorAll('[data-testid="conversation"]').length === n - 1, before, { timeout: 10_000 }).catch(() => {});
      await waitStatus(page, 'ready', 10_000);
      const ids = await page.locator(S('conversation')).evaluateAll((items) => items.map((i) => i.dataset.id));
      const nowOpen = await openId().catch(() => null);
      const reopened = nowOpen ? await storedConversation(page, nowOpen) : null;
      const shownUsers = await texts('user-message');
      check('conversations: delete asks first, then removes the open conversation and opens the newest one left',
        kept && ids.length === before - 1 && !ids.includes(saved.id) && (await storedConversation(page, saved.id)) === null
          && nowOpen === ids[0] && (reopened === null ? shownUsers.length === 0
            : JSON.stringify(shownUsers) === JSON.stringify(reopened.messages.filter((m) => m.role === 'user').map((m) => m.content))),
        JSON.stringify({ kept, before, after: ids.length, open: nowOpen, shownUsers }));
    });
  }

  // 3. Every setting reaches the engine: the page's engine's create() is wrapped to record each
  //    request and the text it streamed back.
  await step('settings: every sampler setting reaches the engine', async () => {
    await page.evaluate(() => {
      const chat = window.__mistral.engine.chat.completions;
      window.__e2eRealCreate = chat.create;
      const real = chat.create.bind(chat);
      window.__e2eRequests = [];
      chat.create = async (request) => {
        const seen = { request: structuredClone(request), content: '', finish: null };
        window.__e2eRequests.push(seen);
        const stream = await real(request);
        return (async function* () {
          for await (const chunk of stream) {
            const choice = chunk?.choices?.[0];
            if (choice?.delta?.content) seen.content += choice.delta.content;
            if (choice?.finish_reason) seen.finish = choice.finish_reason;
            yield chunk;
          }
        })();
      };
    });
    const requests = () => page.evaluate(() => window.__e2eRequests);
    const last = async () => (await requests()).at(-1);
    const regenerate = async () => {
      const n = (await requests()).length;
      await page.locator(S('regenerate')).click();
      await page.waitForFunction((k) => window.__e2eRequests.length > k, n, { timeout: 10_000 });
      await waitStatus(page, 'ready', LONG);
      return last();
    };
    const use = async (settings) => { for (const [id, v] of Object.entries(settings)) await setSetting(page, id, v); };
    try {
      await page.locator('#settings-panel').evaluate((d) => { d.open = true; });
      await page.locator(S('new-chat')).click();
      await waitStatus(page, 'ready', 10_000);
      await setSetting(page, 'system-prompt', '');
      await page.locator(S('settings-reset')).click();

      // Greedy twice: the same text.
      await use({ 'settings-temperature': '0', 'settings-max-tokens': '16', 'settings-seed': '', 'settings-stop': '' });
      await send('Describe the sea in one sentence.');
      const greedy = await last();
      const greedy2 = await regenerate();
      check('settings: temperature 0 twice gives the same text',
        greedy.request.temperature === 0 && greedy.content.length > 0 && greedy2.content === greedy.content,
        JSON.stringify({ first: greedy.content, second: greedy2.content }));

      // A stop string from the middle of the greedy answer ends the answer just before it.
      const mid = Math.floor(greedy.content.length / 2);
      let at = greedy.content.indexOf(' ', mid);
      if (at < 0 || at > greedy.content.length - 3) at = mid;
      const stop = greedy.content.slice(at, at + 4);
      const cut = greedy.content.indexOf(stop); // its first place: where the answer must end
      await use({ 'settings-stop': stop.replace(/\\/g, '\\\\').replace(/\n/g, '\\n') });
      const stopped = await regenerate();
      check('settings: a stop string ends the answer before it (the greedy answer\'s prefix)',
        JSON.stringify(stopped.request.stop) === JSON.stringify([stop]) && stopped.content === greedy.content.slice(0, cut) && stopped.finish === 'stop',
        JSON.stringify({ stop, expected: greedy.content.slice(0, cut), got: stopped.content, finish: stopped.finish }));

      // Temperature 1 with a seed: the same seed, the same text (another seed may differ).
      await use({ 'settings-stop': '', 'settings-temperature': '1', 'settings-seed': '42' });
      const seeded = await regenerate();
      const seeded2 = await regenerate();
      await use({ 'settings-seed': '43' });
      const other = await regenerate();
      check('settings: a seed with temperature 1 gives the same text twice',
        seeded.request.seed === 42 && seeded.request.temperature === 1 && seeded2.request.seed === 42 && seeded.content === seeded2.content && seeded.content.length > 0,
        JSON.stringify({ seed42: seeded.content, again: seeded2.content, seed43: other.content, differs: other.content !== seeded.content }));

      // The rest, all at once, with max_tokens 3: the request carries each, the answer is cut.
      const all = {
        'settings-temperature': '0.5', 'settings-top-k': '7', 'settings-top-p': '0.9', 'settings-min-p': '0.05',
        'settings-repetition-penalty': '1.1', 'settings-presence-penalty': '0.3', 'settings-frequency-penalty': '0.2',
        'settings-penalty-last-n': '32', 'settings-seed': '5', 'settings-max-tokens': '3', 'settings-stop': 'END\\nNOW\nZZZ',
      };
      await use(all);
      const short = await regenerate();
      const r = short.request;
      const meta = await page.locator('.msg.assistant .msg-meta').last().textContent();
      const usage = await page.evaluate(() => window.__mistral.lastUsage);
      check('settings: each sampler setting is in the engine\'s request',
        r.temperature === 0.5 && r.top_k === 7 && r.top_p === 0.9 && r.min_p === 0.05 && r.repetition_penalty === 1.1
          && r.presence_penalty === 0.3 && r.frequency_penalty === 0.2 && r.penalty_last_n === 32 && r.seed === 5 && r.max_tokens === 3
          && JSON.stringify(r.stop) === JSON.stringify(['END\nNOW', 'ZZZ']),
        JSON.stringify({ ...r, messages: r.messages.length }));
      check('settings: max_tokens 3 gives a 3-token answer, finish "length" shown',
        short.finish === 'length' && usage?.completion_tokens === 3 && /max-tokens limit/.test(meta ?? ''),
        JSON.stringify({ content: short.content, finish: short.finish, tokens: usage?.completion_tokens, meta }));

      // A value out of the package's range: an error at the field, no request sent.
      const n = (await requests()).length;
      await use({ 'settings-top-p': '1.5' });
      await page.locator(S('prompt')).fill('This must not be sent.');
      await page.locator(S('send')).click();
      await sleep(500);
      const error = (await page.locator(`${S('settings-error')}:visible`).allTextContents()).join(' ');
      const refused = { requests: (await requests()).length - n, error, prompt: await value('prompt'),
        focused: await page.evaluate(() => document.activeElement?.getAttribute('data-testid')) };
      check('settings: an out-of-range value shows an error at its field and nothing is sent',
        refused.requests === 0 && /Top-p must be a number above 0 and at most 1/.test(error) && refused.prompt === 'This must not be sent.'
          && refused.focused === 'settings-top-p', JSON.stringify(refused));
      await use({ 'settings-top-p': '1' });
      await page.locator(S('prompt')).fill('');

      // Reset to model defaults: the model's own where it sets them, the engine's otherwise.
      await page.locator(S('settings-reset')).click();
      const defaults = await page.evaluate(() => window.__mistral.modelInfo?.samplingDefaults ?? {});
      const expect = { temperature: 0.7, top_k: 40, top_p: 1, min_p: 0, repetition_penalty: 1, presence_penalty: 0, frequency_penalty: 0,
        penalty_last_n: 64, max_tokens: 512, ...defaults };
      const shown = {};
      for (const name of Object.keys(expect)) shown[name] = Number(await value(`settings-${name.replaceAll('_', '-')}`));
      check('settings: Reset to model defaults shows the model\'s defaults (the engine\'s where it sets none)',
        JSON.stringify(shown) === JSON.stringify(expect) && (await value('settings-seed')) === '' && (await value('settings-stop')) === '',
        JSON.stringify({ shown, modelDefaults: defaults }));

      // The list and the whole Settings panel in one picture: the Model panel folded, a tall window.
      const modelOpen = await page.locator('#model-panel').evaluate((d) => { const was = d.open; d.open = false; return was; });
      await page.locator('#conversations-panel').evaluate((d) => { d.open = true; });
      await page.setViewportSize({ width: 1280, height: 1500 });
      await page.locator('.side').evaluate((side) => { side.scrollTop = 0; });
      await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'conversations.png') });
      await page.setViewportSize({ width: 1280, height: 800 });
      await page.locator('#model-panel').evaluate((d, open) => { d.open = open; }, modelOpen);
    } finally {
      await page.evaluate(() => { if (window.__e2eRealCreate) window.__mistral.engine.chat.completions.create = window.__e2eRealCreate; });
    }
  });

  // 4. Storage trouble: a full store is reported (and clears once a save works again); a page
  //    whose IndexedDB is refused (as in private modes) says conversations are not saved and
  //    still chats, its list kept in memory.
  await step('conversations: storage full, storage refused', async () => {
    const note = page.locator(S('conversations-note'));
    const renameOpen = async (title) => {
      await page.locator(`${OPEN} ${S('conversation-rename')}`).click();
      await page.locator(S('conversation-title-input')).fill(title);
      await page.locator(S('conversation-title-input')).press('Enter');
    };
    await page.evaluate(() => {
      window.__e2eRealPut = IDBObjectStore.prototype.put;
      IDBObjectStore.prototype.put = function () { throw new DOMException('The quota has been exceeded.', 'QuotaExceededError'); };
    });
    try {
      await renameOpen('Not saved: storage full');
      await note.waitFor({ state: 'visible', timeout: 5000 }).catch(() => {});
      const full = { visible: await note.isVisible(), role: await note.getAttribute('role'), text: await note.textContent() };
      check('conversations: a full storage is reported in the conversation list',
        full.visible && full.role === 'alert' && /storage for this page is full/.test(full.text), JSON.stringify(full));
    } finally {
      await page.evaluate(() => { IDBObjectStore.prototype.put = window.__e2eRealPut; });
    }
    await renameOpen('Saved again');
    await note.waitFor({ state: 'hidden', timeout: 5000 }).catch(() => {});
    const id = await openId();
    check('conversations: the next save that works clears the report',
      !(await note.isVisible()) && (await storedConversation(page, id))?.title === 'Saved again', await note.textContent());

    const privatePage = await ctx.context.newPage();
    ctx.watchPage(privatePage, 'no-indexeddb');
    try {
      await privatePage.addInitScript(() => {
        IDBFactory.prototype.open = function () { throw new DOMException('The operation is insecure.', 'SecurityError'); };
      });
      await privatePage.goto(ctx.pageUrlFor(ctx.MODEL_URL), { waitUntil: 'domcontentloaded' });
      await confirmLoad(privatePage);
      await waitStatus(privatePage, 'ready', LONG);
      const shown = privatePage.locator(S('conversations-note'));
      const text = (await shown.isVisible()) ? await shown.textContent() : null;
      check('conversations: without IndexedDB the page says conversations are not saved', /Conversations are not saved/.test(text ?? ''), JSON.stringify(text));
      await setSetting(privatePage, 'settings-max-tokens', 4);
      await privatePage.locator(S('prompt')).fill('Hello!');
      await privatePage.locator(S('send')).click();
      await privatePage.locator(S('assistant-message')).first().waitFor({ timeout: 10_000 });
      await waitStatus(privatePage, 'ready', LONG);
      const answer = await privatePage.locator(S('assistant-message')).first().textContent();
      const titles = await privatePage.locator(S('conversation-title')).allTextContents();
      check('conversations: without IndexedDB the page still answers and lists the conversation (in memory)',
        answer.trim().length > 0 && titles.length === 1 && titles[0] === 'Hello!', JSON.stringify({ answer, titles }));
    } finally {
      await privatePage.close();
    }
  });

  // 5. A conversation held with another model: a bar names that model and offers to load it
  //    (through the confirmation a URL the page did not choose gets); none for the loaded one.
  await step('conversations: the model a conversation was held with', async () => {
    const bar = page.locator(S('conversation-model'));
    const loadedHidden = !(await bar.isVisible());
    const other = `${ctx.PAGE_URL}other-model.gguf`;
    const id = await page.evaluate(({ db, other }) => new Promise((resolve, reject) => {
      const open = indexedDB.open(db);
      open.onerror = () => reject(open.error);
      open.onsuccess = () => {
        const conn = open.result;
        const now = Date.now();
        const record = { id: `e2e-other-${now}`, title: 'Held with another model', titleEdited: true, created: now, updated: now,
          model: { name: 'Other model', source: other }, system: '', settings: {},
          messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello from another model.' }] };
        const put = conn.transaction('conversations', 'readwrite').objectStore('conversations').put(record);
        put.onsuccess = () => { conn.close(); new BroadcastChannel('mistral-wgpu-conversations').postMessage('changed'); resolve(record.id); };
        put.onerror = () => { reject(put.error); conn.close(); };
      };
    }), { db: DB, other });
    const item = page.locator(`${S('conversation')}[data-id="${id}"] ${S('conversation-open')}`);
    await item.waitFor({ timeout: 10_000 });
    await item.click();
    await bar.waitFor({ state: 'visible', timeout: 10_000 });
    const text = (await bar.textContent()).replace(/\s+/g, ' ').trim();
    check('conversations: none shown for the loaded model; another model\'s conversation names it with "Load it"',
      loadedHidden && /held with Other model/.test(text) && (await page.locator(S('load-conversation-model')).isVisible()), JSON.stringify(text));
    await page.locator(S('load-conversation-model')).click();
    await page.locator(S('confirm')).waitFor({ state: 'visible', timeout: 10_000 });
    const asked = (await page.locator('#confirm-url').textContent())?.trim();
    await page.locator(S('confirm-cancel')).click();
    check('conversations: "Load it" asks to download that model (nothing loaded before the confirmation)',
      asked === other && (await ctx.status(page)) === 'ready', JSON.stringify({ asked, status: await ctx.status(page) }));
    await page.locator(`${OPEN} ${S('conversation-delete')}`).click();
    await page.locator(S('conversation-delete-confirm')).click();
    await waitStatus(page, 'ready', 10_000);
  });
}
