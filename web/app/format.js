// Numbers and names as the page shows them.

export function fmtBytes(n) {
  if (!Number.isFinite(n) || n <= 0) return '–';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
  return `${n >= 100 || i === 0 ? Math.round(n) : n.toFixed(n >= 10 ? 1 : 2)} ${units[i]}`;
}

export function fmtCount(n) {
  if (!Number.isFinite(n) || n <= 0) return '–';
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (n >= 1e6) return `${Math.round(n / 1e6)}M`;
  if (n >= 1e3) return `${Math.round(n / 1e3)}K`;
  return String(n);
}

/** Tokens per second. */
export function fmtRate(x) {
  return Number.isFinite(x) && x > 0 ? (x >= 100 ? Math.round(x).toString() : x.toFixed(1)) : '–';
}

/** A short name for a model source: the file name of a URL, or of a File. */
export function sourceName(source) {
  if (typeof source === 'string' || source instanceof URL) {
    try {
      const u = new URL(String(source), location.href);
      return decodeURIComponent(u.pathname.split('/').pop() || u.host);
    } catch { return String(source); }
  }
  return source && source.name ? source.name : 'model';
}
