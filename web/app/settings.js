// The Settings panel: the system prompt and every sampler setting (sampler-settings.js), each
// field checked as it is typed (an inline error, and no request sent while one shows), "Reset to
// model defaults", and the cache checkbox. The prompt and settings belong to the open
// conversation (conversations.js saves them with it); the last ones used are also kept in
// localStorage, as what a new chat starts from, along with the cache checkbox.

import { el } from './dom.js';
import { state } from './state.js';
import {
  SAMPLERS, testIdOf, parseText, formatValue, mergeSettings, neutralSettings, modelDefaults, modelSetNames, requestFields,
} from './sampler-settings.js';

const SETTINGS_KEY = 'mistral-wgpu.settings';

const fields = new Map(); // request field -> { input, slider, error, setting }
let onChange = () => {};

function stored() {
  try { return JSON.parse(localStorage.getItem(SETTINGS_KEY) || 'null') || {}; } catch { return {}; }
}

function remember(patch) {
  try { localStorage.setItem(SETTINGS_KEY, JSON.stringify({ ...stored(), ...patch })); } catch { /* private mode */ }
}

/** The system prompt and settings a new chat starts from: the last used (page defaults at first). */
export function lastUsed() {
  const saved = stored();
  // Pages before per-conversation settings kept `temperature` and `maxTokens` at the top.
  const legacy = { temperature: saved.temperature, max_tokens: saved.maxTokens };
  return {
    system: typeof saved.system === 'string' ? saved.system : '',
    settings: mergeSettings(mergeSettings(neutralSettings(), legacy), saved.settings),
  };
}

function buildField(setting) {
  const id = `setting-${setting.name}`;
  const wrap = document.createElement('div');
  wrap.className = `setting${setting.kind === 'stops' || setting.slider ? ' setting-wide' : ''}`;
  const label = document.createElement('label');
  label.htmlFor = id;
  label.textContent = setting.label;
  const input = document.createElement(setting.kind === 'stops' ? 'textarea' : 'input');
  input.id = id;
  input.setAttribute('data-testid', testIdOf(setting.name));
  input.autocomplete = 'off';
  input.spellcheck = false;
  if (setting.kind === 'stops') {
    input.rows = 2;
    input.placeholder = 'e.g. \\n\\n';
  } else {
    input.type = 'text'; // checked here (parseText), so the text is exactly what was typed
    input.inputMode = setting.inputmode;
    if (setting.optional) input.placeholder = 'random';
  }
  const hint = document.createElement('p');
  hint.className = 'setting-hint';
  hint.id = `${id}-hint`;
  hint.textContent = setting.hint;
  const error = document.createElement('p');
  error.className = 'setting-error';
  error.id = `${id}-error`;
  error.setAttribute('data-testid', 'settings-error');
  error.hidden = true;
  input.setAttribute('aria-describedby', `${hint.id} ${error.id}`);

  let slider = null;
  if (setting.slider) {
    // A quick range input beside the exact field, carrying the page's older test id.
    slider = document.createElement('input');
    slider.type = 'range';
    slider.min = setting.slider.min;
    slider.max = setting.slider.max;
    slider.step = setting.slider.step;
    slider.setAttribute('data-testid', setting.slider.testid);
    slider.setAttribute('aria-label', `${setting.label} (slider)`);
    slider.addEventListener('input', () => { input.value = slider.value; validate(setting.name); });
    slider.addEventListener('change', () => settingChanged());
  }
  input.addEventListener('input', () => { if (validate(setting.name) && slider) slider.value = input.value.trim(); });
  input.addEventListener('change', () => settingChanged());
  let control = input;
  if (slider) {
    control = document.createElement('div');
    control.className = 'row setting-slider';
    control.append(slider, input);
  }
  wrap.append(label, control, hint, error);
  fields.set(setting.name, { input, slider, error, setting });
  return wrap;
}

/** Checks setting `name`'s field and shows or clears its error; returns the parse result's value or undefined. */
function validate(name) {
  const f = fields.get(name);
  const r = parseText(name, f.input.value);
  f.error.hidden = !('error' in r);
  f.error.textContent = r.error ?? '';
  f.input.setAttribute('aria-invalid', String('error' in r));
  return 'value' in r ? { value: r.value } : undefined;
}

function settingChanged() {
  const settings = currentSettings();
  if (settings) remember({ settings });
  onChange();
}

/**
 * The settings as the fields show them, or null while one is invalid (its error shown). With
 * `focus`, the first invalid field is brought into view and focused, for someone about to send.
 */
export function currentSettings({ focus = false } = {}) {
  const out = {};
  let firstBad = null;
  for (const [name, f] of fields) {
    const r = validate(name);
    if (r) out[name] = r.value;
    else firstBad ??= f.input;
  }
  if (!firstBad) return out;
  if (focus) {
    el.settingsPanel.open = true;
    firstBad.focus();
  }
  return null;
}

/** The request fields of the current settings (every sampler), or null after showing what is wrong. */
export function requestSettings() {
  const settings = currentSettings({ focus: true });
  return settings && requestFields(settings);
}

/** The system prompt, or '' for none. */
export function systemPrompt() {
  return el.system.value.trim();
}

/** Shows a conversation's system prompt and settings (filled up with the defaults). */
export function showSettings({ system = '', settings = {} } = {}) {
  el.system.value = system;
  const full = mergeSettings(neutralSettings(), settings);
  for (const [name, f] of fields) {
    f.input.value = formatValue(name, full[name]);
    if (f.slider) f.slider.value = f.input.value;
    validate(name);
  }
}

// Says which defaults Reset gives: the model file's own where it sets them.
function showDefaultsNote() {
  const info = state.modelInfo;
  const names = modelSetNames(info);
  const defaults = modelDefaults(info);
  el.settingsDefaults.textContent = !info
    ? 'No model loaded: Reset gives the page’s defaults.'
    : names.length
      ? `${info.name} sets ${names.map((n) => `${n} ${formatValue(n, defaults[n])}`).join(', ')}; the rest are the engine’s defaults.`
      : `${info.name} sets no sampling defaults: Reset gives the engine’s (temperature ${defaults.temperature}, top_k ${defaults.top_k}).`;
}

/** Builds the fields, restores the cache checkbox, and calls `changed` on every committed change. */
export function initSettings({ changed = () => {} } = {}) {
  onChange = changed;
  el.samplerFields.replaceChildren(...SAMPLERS.map(buildField));
  const { system, settings } = lastUsed();
  showSettings({ system, settings });
  const saved = stored();
  if (typeof saved.cache === 'boolean') el.useCache.checked = saved.cache;
  el.useCache.addEventListener('change', () => remember({ cache: el.useCache.checked }));
  el.system.addEventListener('change', () => { remember({ system: el.system.value }); onChange(); });
  el.resetSettings.addEventListener('click', () => {
    const defaults = modelDefaults(state.modelInfo);
    showSettings({ system: el.system.value, settings: defaults });
    showDefaultsNote();
    settingChanged();
  });
  el.settingsPanel.addEventListener('toggle', () => { if (el.settingsPanel.open) showDefaultsNote(); });
  showDefaultsNote();
}
