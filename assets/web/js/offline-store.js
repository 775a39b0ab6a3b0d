// What offline play keeps on the device, in IndexedDB so a closed tab or a reboot loses
// nothing: each learner's last pack (with who the learner is), the sessions played offline
// and the time spans played, until a sync says the server has them; and this device's id.

const DB = 'studyhub-offline';
const VERSION = 1;
let opening = null;

function open() {
  opening ??= new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      db.createObjectStore('packs', { keyPath: 'learner_id' });
      db.createObjectStore('sessions', { keyPath: 'session_id' }).createIndex('learner', 'learner_id');
      db.createObjectStore('spans', { keyPath: 'id' }).createIndex('learner', 'learner_id');
      db.createObjectStore('meta');
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => {
      opening = null;
      reject(req.error);
    };
  });
  return opening;
}

// Runs `work(stores)` in one transaction over `names`; resolves with its result once committed.
async function tx(names, mode, work) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const t = db.transaction(names, mode);
    const stores = Object.fromEntries(names.map((n) => [n, t.objectStore(n)]));
    let result;
    Promise.resolve(work(stores)).then((r) => { result = r; }, reject);
    t.oncomplete = () => resolve(result);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error);
  });
}

const done = (req) => new Promise((resolve, reject) => {
  req.onsuccess = () => resolve(req.result);
  req.onerror = () => reject(req.error);
});

export async function savePack(learner, pack) {
  const record = {
    learner_id: learner.id,
    learner: { id: learner.id, name: learner.name, timezone: learner.timezone, parent_id: learner.parent_id },
    pack,
    saved_at: new Date().toISOString(),
  };
  await tx(['packs'], 'readwrite', (s) => done(s.packs.put(record)));
}

// The learner's pack, or (no id) the one saved last.
export async function loadPack(learnerId) {
  return tx(['packs'], 'readonly', async (s) => {
    if (learnerId) return (await done(s.packs.get(learnerId))) ?? null;
    const all = await done(s.packs.getAll());
    all.sort((a, b) => b.saved_at.localeCompare(a.saved_at));
    return all[0] ?? null;
  });
}

export async function saveSession(session) {
  await tx(['sessions'], 'readwrite', (s) => done(s.sessions.put(session)));
}

export async function sessionsOf(learnerId) {
  return tx(['sessions'], 'readonly', (s) => done(s.sessions.index('learner').getAll(learnerId)));
}

export async function forgetSessions(ids) {
  await tx(['sessions'], 'readwrite', (s) => Promise.all(ids.map((id) => done(s.sessions.delete(id)))));
}

// One span of play (`id` stays while it grows, so it is written again as time goes on).
export async function saveSpan(span) {
  await tx(['spans'], 'readwrite', (s) => done(s.spans.put(span)));
}

export async function spansOf(learnerId) {
  return tx(['spans'], 'readonly', (s) => done(s.spans.index('learner').getAll(learnerId)));
}

export async function forgetSpans(ids) {
  await tx(['spans'], 'readwrite', (s) => Promise.all(ids.map((id) => done(s.spans.delete(id)))));
}

export function newId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// This device's id (made once): its time spans are kept apart from other devices'.
export async function deviceId() {
  return tx(['meta'], 'readwrite', async (s) => {
    const known = await done(s.meta.get('device_id'));
    if (known) return known;
    const id = newId();
    await done(s.meta.put(id, 'device_id'));
    return id;
  });
}
