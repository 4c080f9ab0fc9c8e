// The Settings panel (system prompt, temperature, max tokens) and the cache checkbox, kept in
// localStorage across visits (the conversation is not).

import { el } from './dom.js';

const SETTINGS_KEY = 'mistral-wgpu.settings';

/** The sampling settings for a request; out-of-range input falls back to the defaults. */
export function readSettings() {
  let temperature = Number(el.temperature.value);
  if (!Number.isFinite(temperature) || temperature < 0) temperature = 0.7;
  let maxTokens = Math.floor(Number(el.maxTokens.value));
  if (!Number.isFinite(maxTokens) || maxTokens < 1) maxTokens = 512;
  return { temperature, max_tokens: maxTokens };
}

/** The system prompt, or '' for none. */
export function systemPrompt() {
  return el.system.value.trim();
}

const showTemperature = () => {
  el.temperatureOut.textContent = Number(el.temperature.value).toFixed(2).replace(/0$/, '');
};

/** Restores the saved settings and saves them on every change. */
export function initSettings() {
  el.temperature.addEventListener('input', showTemperature);
  try {
    const saved = JSON.parse(localStorage.getItem(SETTINGS_KEY) || 'null');
    if (saved) {
      if (typeof saved.system === 'string') el.system.value = saved.system;
      if (Number.isFinite(saved.temperature)) el.temperature.value = saved.temperature;
      if (Number.isFinite(saved.maxTokens)) el.maxTokens.value = saved.maxTokens;
      if (typeof saved.cache === 'boolean') el.useCache.checked = saved.cache;
    }
  } catch { /* private mode: no storage */ }
  showTemperature();
  for (const input of [el.system, el.temperature, el.maxTokens, el.useCache]) {
    input.addEventListener('change', () => {
      try {
        localStorage.setItem(SETTINGS_KEY, JSON.stringify({
          system: el.system.value,
          temperature: Number(el.temperature.value),
          maxTokens: Number(el.maxTokens.value),
          cache: el.useCache.checked,
        }));
      } catch { /* ignore */ }
    });
  }
}
