// A conversation as a file: Markdown to read, JSON to keep or process (the stored record, with a
// format tag and version), downloaded through a Blob URL (nothing leaves the browser).

import { describeSettings } from './sampler-settings.js';

const JSON_FORMAT = 'mistral-wgpu-conversation';
const JSON_VERSION = 1;

const iso = (t) => new Date(t).toISOString();

/** The conversation as Markdown: a title, its facts, then each turn under a heading. */
export function toMarkdown(c) {
  const lines = [`# ${c.title}`, ''];
  lines.push(`- Model: ${c.model ? `${c.model.name}${c.model.source ? ` (${c.model.source})` : ''}` : 'none recorded'}`);
  lines.push(`- Created: ${iso(c.created)}`, `- Updated: ${iso(c.updated)}`);
  lines.push(`- Settings: ${describeSettings(c.settings)}`, '');
  if (c.system) lines.push('## System', '', c.system, '');
  for (const m of c.messages) {
    // Messages are Markdown already (answers) or plain text shown as typed (questions).
    lines.push(`## ${m.role === 'user' ? 'User' : 'Assistant'}`, '', m.content, '');
    if (m.notice) lines.push(`> ${m.notice}`, '');
    if (m.finish === 'length') lines.push('_(reached the max-tokens limit)_', '');
    if (m.finish === 'abort') lines.push('_(stopped)_', '');
  }
  return lines.join('\n');
}

/** The conversation as JSON (the stored record, tagged). */
export function toJson(c) {
  const { id, title, created, updated, model, system, settings, messages } = c;
  return `${JSON.stringify({ format: JSON_FORMAT, version: JSON_VERSION, id, title, created, updated, model, system, settings, messages }, null, 2)}\n`;
}

/** A file name from the title: letters, digits and dashes. */
export function fileName(c, ext) {
  const base = c.title.normalize('NFKD').replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-+|-+$/g, '').slice(0, 60).toLowerCase();
  return `${base || 'conversation'}.${ext}`;
}

/** Saves `text` as a download named `name`. */
export function download(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  // The download has its own copy once started; a moment later the URL can go.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
