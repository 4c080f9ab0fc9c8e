// What a screen reader hears of a long load or download: a polite live region that speaks when
// the phase changes (download, upload to the GPU, compile) and at each quarter of a phase, not
// at every progress update (about ten a second, which would drown everything else out). The
// visible progress text has aria-live off and keeps every update.

/**
 * An announcer writing into the live region `region`: call it with each progress
 * `{ phase, loaded, total, text }`; `reset()` before a new load.
 */
export function progressAnnouncer(region) {
  let last = null; // "phase:quarter" last spoken
  const announce = (p) => {
    if (!p) return;
    const quarter = p.total > 0 ? Math.min(4, Math.floor((4 * p.loaded) / p.total)) : 0;
    const key = `${p.phase}:${quarter}`;
    if (key === last) return;
    last = key;
    region.textContent = p.text || p.phase || '';
  };
  announce.reset = () => { last = null; };
  /** Speaks `text` now (a start, an end), whatever the last progress was. */
  announce.say = (text) => { last = null; region.textContent = text; };
  return announce;
}
