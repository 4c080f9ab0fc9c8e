// The offline app shell (web/sw.js, app/offline.js) and the web app manifest: the service
// worker controls the page after a reload; the manifest is linked and complete (name, icons
// that load at their sizes, maskable included, start_url, display); with the network cut
// (context.setOffline) a new page opens from the worker's cache, loads the model from the
// package's cache and answers. Writes offline.png.

import path from 'node:path';

export default async function offline(ctx) {
  const { context, page, check, step, S, MODEL_URL, PAGE_URL, ARTIFACTS_DIR, LONG } = ctx;
  const origin = new URL(PAGE_URL).origin;

  const controlled = await step('offline: the service worker controls the page', async () => {
    // Installed on the first visit: the page says so once the shell is stored.
    await page.waitForFunction((sel) => document.querySelector(sel)?.dataset.state === 'ready', S('offline-state'), { timeout: 60_000 });
    await page.reload({ waitUntil: 'domcontentloaded' });
    const r = await page.evaluate(async () => {
      const reg = await navigator.serviceWorker.getRegistration();
      return {
        controller: navigator.serviceWorker.controller?.scriptURL ?? null,
        scope: reg?.scope ?? null,
        shellCaches: (await caches.keys()).filter((k) => k.startsWith('mistral-wgpu-shell-')),
      };
    });
    const ok = check('offline: after a reload the page is controlled by sw.js, with one shell cache',
      r.controller === new URL('sw.js', PAGE_URL).href && r.scope === new URL('./', PAGE_URL).href && r.shellCaches.length === 1,
      JSON.stringify(r));
    return ok;
  });

  await step('manifest: linked, with name, icons (192, 512, maskable), start_url and display', async () => {
    const m = await page.evaluate(async () => {
      const link = document.querySelector('link[rel="manifest"]');
      if (!link) return null;
      const res = await fetch(link.href);
      const json = await res.json();
      const icons = [];
      for (const icon of json.icons ?? []) {
        const r = await fetch(new URL(icon.src, link.href));
        const size = { w: null, h: null };
        if (r.ok && icon.type === 'image/png') {
          const bitmap = await createImageBitmap(await r.blob());
          size.w = bitmap.width;
          size.h = bitmap.height;
        }
        icons.push({ ...icon, status: r.status, contentType: r.headers.get('content-type'), ...size });
      }
      return { contentType: res.headers.get('content-type'), json, icons };
    });
    const j = m?.json ?? {};
    const png = (sizes, purpose) => m?.icons.find((i) => i.sizes === sizes && (i.purpose ?? 'any').split(' ').includes(purpose)
      && i.status === 200 && `${i.w}x${i.h}` === sizes && /^image\/png/.test(i.contentType));
    check('manifest: name, short_name, start_url, display standalone, colours, and icons 192/512/maskable that load at their sizes',
      !!m && typeof j.name === 'string' && j.name.length > 0 && typeof j.short_name === 'string' && typeof j.start_url === 'string'
        && j.display === 'standalone' && /^#[0-9a-f]{6}$/i.test(j.theme_color ?? '') && /^#[0-9a-f]{6}$/i.test(j.background_color ?? '')
        && !!png('192x192', 'any') && !!png('512x512', 'any') && !!png('512x512', 'maskable')
        && m.icons.every((i) => i.status === 200),
      JSON.stringify(m ? { contentType: m.contentType, name: j.name, short_name: j.short_name, start_url: j.start_url, display: j.display, icons: m.icons } : null));
  });

  if (!controlled) return;

  // Same-origin responses while offline: each must come from the worker (none from the network).
  const shellResponses = [];
  const failed = [];
  const onResponse = (r) => {
    if (new URL(r.url()).origin === origin) shellResponses.push({ url: r.url(), status: r.status(), fromServiceWorker: r.fromServiceWorker() });
  };
  const onFailed = (r) => {
    if (new URL(r.url()).origin === origin) failed.push({ url: r.url(), error: r.failure()?.errorText ?? null });
  };
  await step('offline: with the network cut the page opens, loads the cached model and answers', async () => {
    context.on('response', onResponse);
    context.on('requestfailed', onFailed);
    await context.setOffline(true);
    const off = await context.newPage();
    ctx.watchPage(off, 'offline');
    try {
      const nav = await off.goto(ctx.pageUrlFor(MODEL_URL), { waitUntil: 'domcontentloaded' });
      const opened = { status: nav?.status() ?? null, fromServiceWorker: nav?.fromServiceWorker() ?? false,
        pageStatus: await ctx.status(off), networkShown: await off.locator(S('network')).isVisible() };
      check('offline: the page opens from the service worker (status idle, "offline" shown)',
        opened.status === 200 && opened.fromServiceWorker && ['idle', 'loading', 'ready'].includes(opened.pageStatus) && opened.networkShown,
        JSON.stringify(opened));
      // The confirmation's size: the cached size (its HEAD probe could not reach the server).
      await off.locator(S('confirm-load')).waitFor({ state: 'visible', timeout: 60_000 });
      await off.waitForFunction((sel) => !/asking the server/.test(document.querySelector(sel)?.textContent ?? ''), S('confirm-size'), { timeout: 30_000 });
      const size = (await off.locator(S('confirm-size')).textContent())?.trim();
      check('offline: the confirmation shows the cached size (or unknown)', /already in this browser's cache|^unknown/.test(size ?? ''), JSON.stringify(size));
      await off.locator(S('confirm-load')).click();
      await ctx.waitStatus(off, 'ready', LONG);
      await ctx.setSetting(off, 'temperature', 0);
      await ctx.setSetting(off, 'max-tokens', 32);
      await off.locator(S('prompt')).fill('What is the capital of France?');
      await off.locator(S('send')).click();
      await off.locator(S('assistant-message')).last().waitFor({ timeout: 10_000 });
      await ctx.waitStatus(off, 'ready', LONG);
      const answer = await ctx.lastAssistantText(off);
      check('offline: the model loads from the cache and the question gets its answer (Paris)', /paris/i.test(answer), JSON.stringify(answer.slice(0, 160)));
      const fromNetwork = shellResponses.filter((r) => !r.fromServiceWorker);
      check('offline: every file of the page came from the service worker, none failed',
        shellResponses.length > 0 && fromNetwork.length === 0 && failed.length === 0,
        `${shellResponses.length} response(s); not from the worker: ${JSON.stringify(fromNetwork.slice(0, 5))}; failed: ${JSON.stringify(failed.slice(0, 5))}`);
      await off.screenshot({ path: path.join(ARTIFACTS_DIR, 'offline.png') });
    } finally {
      await context.setOffline(false);
      context.off('response', onResponse);
      context.off('requestfailed', onFailed);
      await off.close();
    }
  });
}
