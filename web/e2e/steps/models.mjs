// Model management in the Model panel (app/models.js, app/download-only.js, the package's
// cachedModels / deleteCachedModel / downloadModel): the stored model is listed with its size,
// state and date; the storage line shows used and quota; Delete removes it while the loaded copy
// keeps answering, and the next load downloads it again; "Download only" stores it complete
// without loading anything. Writes models.png.

import path from 'node:path';

export default async function models(ctx) {
  const { page, check, step, S, MODEL_URL, ARTIFACTS_DIR, LONG } = ctx;
  const modelPath = new URL(MODEL_URL).pathname;
  const fileName = decodeURIComponent(modelPath.split('/').pop());
  const item = () => page.locator(`${S('cached-model')}[data-url="${MODEL_URL}"]`);
  const cachedEntry = () => page.evaluate(async (url) => {
    const pkg = await import(new URL('pkg/index.js', location.href).href);
    return (await pkg.cachedModels()).find((m) => m.url === url) ?? null;
  }, MODEL_URL);
  const modelInfo = () => page.evaluate(() => JSON.stringify(window.__mistral?.modelInfo ?? null));
  const openPanel = () => page.locator('#model-panel').evaluate((d) => { d.open = true; });
  const serverRequests = async () => (await ctx.modelStats())?.paths?.[modelPath] ?? 0;

  // A page of its own making: the model loaded (from the cache) on a fresh visit.
  const ready = await step('models: the page with the model loaded', async () => {
    await page.goto(ctx.pageUrlFor(MODEL_URL), { waitUntil: 'domcontentloaded' });
    await ctx.confirmLoad(page);
    await ctx.waitStatus(page, 'ready', LONG);
    await openPanel();
    return true;
  });
  if (!ready) return;

  await step('models: the stored model is listed with its size, state and date', async () => {
    await item().waitFor({ state: 'visible', timeout: 15_000 });
    const entry = await cachedEntry();
    const shown = await item().evaluate((li) => ({
      name: li.querySelector('.stored-name')?.textContent,
      size: li.querySelector('.stored-size')?.textContent,
      state: li.querySelector('.stored-state')?.textContent,
      date: li.querySelector('time')?.dateTime ?? null,
      deletes: li.querySelectorAll('[data-testid="delete-model"]').length,
    }));
    const mb = Number(/^([\d.]+) MB$/.exec(shown.size ?? '')?.[1]);
    check('models: the cached model is listed with its name, size, complete, date and a Delete button',
      entry?.complete === true && shown.name === fileName && Math.abs(mb * 1e6 - entry.size) / entry.size < 0.01
        && shown.state === 'complete' && shown.date === entry.storedAt && !Number.isNaN(Date.parse(shown.date)) && shown.deletes === 1,
      `${JSON.stringify(shown)}; cachedModels(): ${JSON.stringify(entry)}`);
  });

  await step('models: storage used and quota', async () => {
    const entry = await cachedEntry();
    const storage = page.locator(S('storage'));
    await page.waitForFunction((sel) => document.querySelector(sel)?.dataset.quota, S('storage'), { timeout: 10_000 });
    const s = await storage.evaluate((e) => ({ text: e.textContent, usage: Number(e.dataset.usage), quota: Number(e.dataset.quota), persistent: e.dataset.persistent }));
    check('models: the storage line shows used and quota (the model counted in the use) and whether it is persistent',
      s.usage >= (entry?.size ?? Infinity) && s.quota > s.usage && /used of .+ available/.test(s.text)
        && (s.persistent === 'true' ? /· persistent/.test(s.text) : /not persistent/.test(s.text)),
      JSON.stringify(s));
  });

  const deleted = await step('models: Delete removes the stored model; the loaded copy keeps answering', async () => {
    const before = await modelInfo();
    await item().locator(S('delete-model')).click();
    await item().waitFor({ state: 'detached', timeout: 15_000 });
    const entry = await cachedEntry();
    check('models: after Delete the list no longer has the model and cachedModels() has no entry', entry === null,
      JSON.stringify(entry));
    await ctx.setSetting(page, 'temperature', 0);
    await ctx.setSetting(page, 'max-tokens', 8);
    const answers = await page.locator(S('assistant-message')).count();
    await page.locator(S('prompt')).fill('Say hello.');
    await page.locator(S('send')).click();
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="assistant-message"]').length > n, answers, { timeout: 10_000 });
    await ctx.waitStatus(page, 'ready', LONG);
    const text = (await ctx.lastAssistantText(page)).trim();
    check('models: the deleted model, still on the GPU, answers (same model info)',
      text.length > 0 && (await modelInfo()) === before && (await ctx.status(page)) === 'ready', JSON.stringify(text));
    return true;
  });

  if (deleted) {
    await step('models: the next load downloads it again', async () => {
      await ctx.resetModelStats();
      await page.reload({ waitUntil: 'domcontentloaded' });
      await ctx.confirmLoad(page);
      await ctx.waitStatus(page, 'ready', LONG);
      const n = await serverRequests();
      await openPanel();
      await page.waitForFunction((sel) => document.querySelector(sel)?.dataset.complete === 'true',
        `${S('cached-model')}[data-url="${MODEL_URL}"]`, { timeout: 15_000 });
      const entry = await cachedEntry();
      check('models: after Delete the next load fetched the model from the server and stored it again',
        n > 0 && entry?.complete === true, `${n} request(s) for ${modelPath}; entry ${JSON.stringify(entry)}`);
    });
  }

  await step('models: Download only stores the model without loading it', async () => {
    await openPanel();
    await item().locator(S('delete-model')).click();
    await item().waitFor({ state: 'detached', timeout: 15_000 });
    const infoBefore = await modelInfo();
    const statusBefore = await ctx.status(page);
    // Every status the page shows while the download runs.
    await page.evaluate(() => {
      const el = document.querySelector('[data-testid="status"]');
      window.__e2eStatuses = [el.textContent];
      new MutationObserver(() => window.__e2eStatuses.push(el.textContent)).observe(el, { childList: true, characterData: true, subtree: true });
    });
    await ctx.resetModelStats();
    await page.locator('#model-url').fill(MODEL_URL);
    await page.locator(S('download-only')).click();
    // Not a preset: the same confirmation as a load, naming what it does.
    await page.locator(S('confirm-load')).waitFor({ state: 'visible', timeout: 10_000 });
    const label = (await page.locator(S('confirm-load')).textContent())?.trim();
    await page.locator(S('confirm-load')).click();
    const progress = page.locator(S('download-progress'));
    await page.waitForFunction((sel) => ['done', 'failed', 'cancelled'].includes(document.querySelector(sel)?.dataset.state),
      S('download-progress'), { timeout: LONG });
    const outcome = await progress.evaluate((e) => ({ state: e.dataset.state, text: e.textContent.trim() }));
    const entry = await cachedEntry();
    const n = await serverRequests();
    check('models: Download only (after a confirmation saying so) stores the whole file from the server',
      label === 'Download only' && outcome.state === 'done' && entry?.complete === true && entry.cachedBytes === entry.size && n > 0,
      `button ${JSON.stringify(label)}; ${JSON.stringify(outcome)}; entry ${JSON.stringify(entry)}; ${n} request(s)`);
    const statuses = [...new Set(await page.evaluate(() => window.__e2eStatuses.map((s) => s.trim())))];
    check('models: Download only loaded nothing (status and model info unchanged throughout)',
      statuses.length === 1 && statuses[0] === statusBefore && (await modelInfo()) === infoBefore,
      `statuses ${JSON.stringify(statuses)}; model info ${(await modelInfo()) === infoBefore ? 'unchanged' : 'changed'}`);
    await page.waitForFunction((sel) => document.querySelector(sel)?.dataset.complete === 'true',
      `${S('cached-model')}[data-url="${MODEL_URL}"]`, { timeout: 15_000 });
    await page.locator('#stored-title').scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'models.png') });
  });
}
