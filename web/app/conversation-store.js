// Where conversations are kept: IndexedDB (database `mistral-wgpu-chat`, its own schema version
// below), or, where the browser has none or refuses it (private mode, storage disabled), memory
// for the life of the page. Both stores have the same methods, so the page works the same and
// only says that nothing is saved (`persistent: false`).
//
// A conversation record (schema version 1):
//   { id, title, titleEdited, created, updated, model: { name, source } | null,
//     system, settings: { <request field>: value }, messages: [{ role, content, finish?, notice? }] }
// `created`/`updated` are ms since the epoch; `title` is the first question's start unless the
// user renamed it (`titleEdited`).

const DB_NAME = 'mistral-wgpu-chat';
// Bump with an upgrade step in `upgrade()` when the record or the stores change.
const DB_VERSION = 1;
const STORE = 'conversations';

/** A store error with a message for people: `quota` when the browser's storage is full. */
export class ConversationStoreError extends Error {
  constructor(message, { quota = false, cause } = {}) {
    super(message, { cause });
    this.name = 'ConversationStoreError';
    this.quota = quota;
  }
}

function isQuota(err) {
  return !!err && (err.name === 'QuotaExceededError' || err.code === 22 || /quota/i.test(err.message || ''));
}

function storeError(err, doing) {
  if (isQuota(err)) {
    return new ConversationStoreError(
      `The browser's storage for this page is full, so ${doing} failed. Delete old conversations, or cached models in the Model panel, to make room.`,
      { quota: true, cause: err },
    );
  }
  return new ConversationStoreError(`${doing[0].toUpperCase()}${doing.slice(1)} failed: ${err?.message || err}`, { cause: err });
}

function upgrade(db, oldVersion) {
  if (oldVersion < 1) {
    const store = db.createObjectStore(STORE, { keyPath: 'id' });
    store.createIndex('updated', 'updated');
  }
}

// The list shows summaries: the messages stay out of it.
const summary = (c) => ({
  id: c.id, title: c.title, created: c.created, updated: c.updated, model: c.model ?? null, messageCount: c.messages?.length ?? 0,
});

const request = (req) => new Promise((resolve, reject) => {
  req.onsuccess = () => resolve(req.result);
  req.onerror = () => reject(req.error);
});

// Resolves when the transaction commits; a quota error shows up here (as the abort's reason).
const committed = (tx) => new Promise((resolve, reject) => {
  tx.oncomplete = () => resolve();
  tx.onabort = () => reject(tx.error || new Error('the transaction was aborted'));
  tx.onerror = () => reject(tx.error);
});

function openDatabase() {
  return new Promise((resolve, reject) => {
    let req;
    try {
      req = indexedDB.open(DB_NAME, DB_VERSION);
    } catch (err) {
      reject(err); // e.g. SecurityError where storage is disabled
      return;
    }
    req.onupgradeneeded = (e) => upgrade(req.result, e.oldVersion);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
    req.onblocked = () => reject(new Error('another tab holds an older version of the conversation database open'));
  });
}

function indexedDbStore(db) {
  // Another tab upgrading the schema: let it, this page's later writes fail with a message.
  db.onversionchange = () => db.close();
  const run = async (mode, doing, fn) => {
    try {
      const tx = db.transaction(STORE, mode);
      const result = await request(fn(tx.objectStore(STORE)));
      await committed(tx);
      return result;
    } catch (err) {
      throw storeError(err, doing);
    }
  };
  return {
    persistent: true,
    /** Summaries of every conversation, the most recently updated first. */
    async list() {
      const all = await run('readonly', 'reading the conversations', (s) => s.index('updated').getAll());
      return all.reverse().map(summary);
    },
    async get(id) {
      return (await run('readonly', 'reading the conversation', (s) => s.get(id))) ?? null;
    },
    async put(conversation) {
      await run('readwrite', 'saving the conversation', (s) => s.put(conversation));
    },
    async delete(id) {
      await run('readwrite', 'deleting the conversation', (s) => s.delete(id));
    },
  };
}

function memoryStore() {
  const records = new Map();
  // structuredClone: callers must not share objects with the store, as with IndexedDB.
  return {
    persistent: false,
    async list() {
      return [...records.values()].sort((a, b) => b.updated - a.updated).map(summary);
    },
    async get(id) {
      return records.has(id) ? structuredClone(records.get(id)) : null;
    },
    async put(conversation) {
      records.set(conversation.id, structuredClone(conversation));
    },
    async delete(id) {
      records.delete(id);
    },
  };
}

/**
 * Opens the conversation store: IndexedDB where it works, else memory. `reason` says why
 * conversations are not saved (null when they are).
 */
export async function openConversationStore() {
  try {
    // Reading `indexedDB` itself throws in some browsers where storage is disabled.
    if (!globalThis.indexedDB) return { store: memoryStore(), reason: 'this browser has no IndexedDB' };
    return { store: indexedDbStore(await openDatabase()), reason: null };
  } catch (err) {
    console.warn('IndexedDB unavailable, conversations are kept in memory only', err);
    return { store: memoryStore(), reason: `the browser refused its storage (${err?.name || err?.message || err})` };
  }
}

// randomUUID needs a secure context; getRandomValues does not (the page may be served plainly).
const newId = () => crypto.randomUUID?.() ?? [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');

/** A new conversation record (not stored yet). */
export function newConversation({ system = '', settings = {}, model = null } = {}) {
  const now = Date.now();
  return {
    id: newId(), title: 'New chat', titleEdited: false, created: now, updated: now,
    model, system, settings, messages: [],
  };
}
