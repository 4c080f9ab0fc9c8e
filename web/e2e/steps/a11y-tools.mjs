// Tools of the accessibility checks (steps/accessibility.mjs): axe-core run in the page, and
// what has the keyboard focus (whether its ring shows), Tab until something, wait for the focus.

import { createRequire } from 'node:module';

// axe-core from web/e2e/node_modules (package.json pins it); null in a checkout whose npm ci came
// before it was added: each axe check then fails saying so, the keyboard checks still run.
const AXE = (() => {
  try { return createRequire(import.meta.url).resolve('axe-core/axe.min.js'); } catch { return null; }
})();

// axe rules switched off here, each with why. None: every rule axe runs by default (WCAG 2.x
// A/AA and best practices) runs on every view; only serious and critical findings fail a check,
// the others are printed in its detail.
const DISABLED_RULES = {};

// Runs in the page: what has the keyboard focus and whether it shows (a ring of 2 px or more,
// 3:1 or more against the colour behind it, on an element that is in view and not transparent).
function focusInfo() {
  const a = document.activeElement;
  if (!a || a === document.body || a === document.documentElement) return { desc: 'body', ok: false, why: 'nothing focused' };
  const testid = a.getAttribute('data-testid');
  const tag = a.tagName.toLowerCase();
  const desc = testid || (tag === 'summary' ? `${a.parentElement.id} summary` : a.id) || `${tag}.${String(a.className).split(' ')[0]}`;
  // A visually hidden control (the file input) shows its focus on its label.
  let shown = a;
  const own = a.getBoundingClientRect();
  if ((own.width <= 2 || own.height <= 2) && a.labels && a.labels.length) shown = a.labels[0];
  const parse = (c) => {
    const m = /rgba?\(([^)]+)\)/.exec(c);
    if (!m) return null;
    const p = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const lum = (c) => {
    const f = (v) => { const s = v / 255; return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  // The colour behind the ring: the ancestors' backgrounds, composited down to an opaque one.
  const layers = [];
  for (let n = shown.parentElement; n; n = n.parentElement) {
    const c = parse(getComputedStyle(n).backgroundColor);
    if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
  }
  let bg = { r: 255, g: 255, b: 255 };
  for (const c of layers.reverse()) bg = { r: c.r * c.a + bg.r * (1 - c.a), g: c.g * c.a + bg.g * (1 - c.a), b: c.b * c.a + bg.b * (1 - c.a) };
  const cs = getComputedStyle(shown);
  const ringColor = parse(cs.outlineColor);
  const width = parseFloat(cs.outlineWidth) || 0;
  const ring = cs.outlineStyle !== 'none' && width >= 2 && !!ringColor && ringColor.a > 0;
  const [hi, lo] = ring ? [lum(ringColor), lum(bg)].sort((x, y) => y - x) : [0, 0];
  const contrast = ring ? Math.round(((hi + 0.05) / (lo + 0.05)) * 100) / 100 : 0;
  const rect = shown.getBoundingClientRect();
  const inView = rect.width > 0 && rect.height > 0 && rect.bottom > 0 && rect.right > 0 && rect.top < innerHeight && rect.left < innerWidth;
  const style = getComputedStyle(a);
  const visible = style.visibility !== 'hidden' && Number(cs.opacity) > 0;
  const conv = a.closest('.conv');
  const convActions = conv?.querySelector('.conv-actions');
  const why = !ring ? `no ring (outline ${cs.outlineStyle} ${cs.outlineWidth})` : contrast < 3 ? `ring contrast ${contrast}` : !inView ? 'not in view' : !visible ? 'invisible' : '';
  return {
    desc, testid, tag, ok: !why, why, contrast,
    conv: conv?.dataset.id ?? null,
    convCurrent: conv?.getAttribute('aria-current') === 'true',
    convActionsShown: convActions ? getComputedStyle(convActions).display !== 'none' : null,
    row: a.closest('.msg')?.dataset.index ?? null,
    inConfirm: !!a.closest('#confirm'),
  };
}

// A line of the check's detail per violation: rule, impact, the first elements, why.
const describe = (v) => `${v.id} (${v.impact}, ${v.nodes} node${v.nodes === 1 ? '' : 's'}: ${v.targets.join(' | ')}${v.why ? `; ${v.why}` : ''})`;

/**
 * `axe(page, view)`: axe-core over the whole document (injected once per page load), a check
 * (through `check`) that it finds no serious or critical violation, every violation printed.
 */
export function axeChecker(check) {
  return async (p, view) => {
    if (!AXE) return check(`a11y: axe finds no serious or critical violation — ${view}`, false, 'axe-core is not installed: run npm ci in web/e2e');
    if (!(await p.evaluate(() => typeof window.axe === 'object'))) await p.addScriptTag({ path: AXE });
    const { passed, violations: found } = await p.evaluate(async (disabled) => {
      const r = await window.axe.run(document, {
        resultTypes: ['violations'],
        rules: Object.fromEntries(disabled.map((id) => [id, { enabled: false }])),
      });
      return {
        passed: r.passes.length,
        violations: r.violations.map((v) => ({
          id: v.id, impact: v.impact, nodes: v.nodes.length,
          targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
          why: (v.nodes[0]?.failureSummary ?? '').split('\n')[1]?.trim() ?? '',
        })),
      };
    }, Object.keys(DISABLED_RULES));
    const blocking = found.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    const others = found.filter((v) => !blocking.includes(v));
    check(`a11y: axe finds no serious or critical violation — ${view}`, blocking.length === 0 && passed > 0,
      [blocking.map(describe).join('; '), others.length ? `minor/moderate: ${others.map(describe).join('; ')}` : '', `${passed} rules passed`]
        .filter(Boolean).join(' — '));
  };
}

/** What has the focus in `p` (focusInfo). */
export const focused = (p) => p.evaluate(focusInfo);
/** Presses Tab (Shift+Tab with `back`) until `want(focusInfo)`; returns it and every stop passed. */
export const tabUntil = async (p, want, what, { back = false, max = 250 } = {}) => {
  const stops = [];
  for (let i = 0; i < max; i++) {
    await p.keyboard.press(back ? 'Shift+Tab' : 'Tab');
    const f = await focused(p);
    stops.push(f);
    if (want(f)) return { found: f, stops };
  }
  throw new Error(`${back ? 'Shift+Tab' : 'Tab'} did not reach ${what} in ${max} presses; the last stops: ${stops.slice(-8).map((s) => s.desc).join(', ')}`);
};
/** Waits until the focus satisfies `want` (it moves after a redraw or an await in the page). */
export const focusBecomes = async (p, want, what, ms = 10_000) => {
  const end = Date.now() + ms;
  let f;
  for (;;) {
    f = await focused(p);
    if (want(f)) return f;
    if (Date.now() > end) throw new Error(`the focus did not move to ${what}: it is on ${f.desc}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};
/** The stops whose focus does not show, with why. */
export const badRings = (stops) => stops.filter((s) => !s.ok && s.desc !== 'body').map((s) => `${s.desc}: ${s.why}`);
/** A focusInfo test: the element with this test id. */
export const has = (testid) => (f) => f.testid === testid;
