// KvIP visit mode: what the tablet keeps in IndexedDB.
//
// "packs"  – per visit: the visit pack (GET /api/v1/visits/<id>) as last seen from the server,
//            the verifications the server confirmed ({action id: answer}) and, per target, the
//            version this tablet's last acknowledged op produced ("acked").
// "outbox" – every change made on the tablet, in order, until the server has applied it or the
//            person who made it explicitly discards it. Nothing leaves the outbox any other way.
//
// An outbox entry: {seq, visit_id, group: "f"|"o"|"v", key, type: "finding"|"observation"|
// "observation_delete"|"verification", body, base_version, op_id, author_id, author_name,
// status: "pending"|"conflict"|"rejected", tries, server, error, created_at, updated_at}.
// Entries of one (author, group, key) form a chain sent strictly in order; each entry's
// base_version is the version the server will have once the earlier entries of the chain are
// applied (the server adds exactly 1 per applied write). A chain's first entry takes its base
// from the stored pack in the same transaction that adds it, so it is always based on the answer
// to the previous change of the same target, never on a stale copy in memory.

const DB_NAME = 'kvip-visits';
const DB_VERSION = 1;

let opening = null;

function promised(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function finished(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error('transaction aborted'));
  });
}

export function openDb() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = () => {
        const db = request.result;
        if (!db.objectStoreNames.contains('packs')) {
          db.createObjectStore('packs', { keyPath: 'id' });
        }
        if (!db.objectStoreNames.contains('outbox')) {
          const outbox = db.createObjectStore('outbox', { keyPath: 'seq', autoIncrement: true });
          outbox.createIndex('visit', 'visit_id');
        }
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  return opening;
}

export function newId() {
  if (self.crypto && typeof self.crypto.randomUUID === 'function') {
    return self.crypto.randomUUID();
  }
  const bytes = new Uint8Array(16);
  self.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

// --- packs -------------------------------------------------------------------------------------

export async function getPack(visitId) {
  const db = await openDb();
  return (await promised(db.transaction('packs').objectStore('packs').get(visitId))) || null;
}

export async function allPacks() {
  const db = await openDb();
  return promised(db.transaction('packs').objectStore('packs').getAll());
}

// A finding's version only grows: an answer that left the server before this tablet's last
// acknowledged change (a slow refresh) must not take the stored finding back.
function mergeFindings(fresh, old) {
  if (!old || !old.domains) return;
  const before = new Map();
  for (const d of old.domains) for (const s of d.standards) before.set(s.code, s.finding);
  for (const d of fresh.domains) {
    for (const s of d.standards) {
      const kept = before.get(s.code);
      if (kept && s.finding && kept.version > s.finding.version) s.finding = kept;
    }
  }
}

export async function savePack(visitId, pack, { prepared = false } = {}) {
  const db = await openDb();
  const tx = db.transaction('packs', 'readwrite');
  const store = tx.objectStore('packs');
  const old = await promised(store.get(visitId));
  if (old) mergeFindings(pack, old.pack);
  const now = new Date().toISOString();
  const record = {
    id: visitId,
    pack,
    saved_at: now,
    prepared_at: prepared ? now : old ? old.prepared_at || null : null,
    verifications: (old && old.verifications) || {},
    acked: (old && old.acked) || {},
  };
  store.put(record);
  await finished(tx);
  return record;
}

// --- the outbox ----------------------------------------------------------------------------

async function entriesOf(store, visitId) {
  const rows = await promised(store.index('visit').getAll(visitId));
  return rows.sort((a, b) => a.seq - b.seq);
}

export async function outbox(visitId) {
  const db = await openDb();
  return entriesOf(db.transaction('outbox').objectStore('outbox'), visitId);
}

export async function allEntries() {
  const db = await openDb();
  const rows = await promised(db.transaction('outbox').objectStore('outbox').getAll());
  return rows.sort((a, b) => a.seq - b.seq);
}

function chainOf(rows, group, key, authorId) {
  return rows.filter((e) => e.group === group && e.key === key && e.author_id === authorId);
}

// Entries queued before changes carried their author belong to the person the stored pack was
// fetched for (the one signed in when they were made).
export async function adoptUnattributed(visitId, fallback) {
  const db = await openDb();
  const tx = db.transaction(['outbox', 'packs'], 'readwrite');
  const store = tx.objectStore('outbox');
  const record = await promised(tx.objectStore('packs').get(visitId));
  const owner = (record && record.pack && record.pack.me) || fallback;
  for (const e of await entriesOf(store, visitId)) {
    if (e.author_id === undefined || e.author_id === null) {
      e.author_id = owner.id;
      e.author_name = owner.name;
      store.put(e);
    }
  }
  await finished(tx);
}

// Add a change by `author` ({id, name}). The last entry of the chain is changed in place only
// if it was never handed to the network (tries === 0): its op_id cannot have reached the server.
// `versionOf(record)` gives the target's version in the stored pack record (0: none yet).
export async function enqueue(visitId, group, key, type, body, author, versionOf) {
  const db = await openDb();
  const tx = db.transaction(['outbox', 'packs'], 'readwrite');
  const store = tx.objectStore('outbox');
  const record = await promised(tx.objectStore('packs').get(visitId));
  const chain = chainOf(await entriesOf(store, visitId), group, key, author.id);
  const last = chain[chain.length - 1];
  const now = new Date().toISOString();
  let entry;
  if (last && last.status === 'pending' && last.tries === 0) {
    if (type === 'observation_delete' && last.type === 'observation' && last.base_version === 0) {
      // An observation made on this tablet and deleted before it was ever sent.
      store.delete(last.seq);
      await finished(tx);
      return null;
    }
    entry = { ...last, type, body, updated_at: now };
    store.put(entry);
  } else {
    entry = {
      visit_id: visitId,
      group,
      key,
      type,
      body,
      base_version: last ? last.base_version + 1 : versionOf(record) || 0,
      op_id: newId(),
      author_id: author.id,
      author_name: author.name,
      status: 'pending',
      tries: 0,
      server: null,
      error: null,
      created_at: now,
      updated_at: now,
    };
    entry.seq = await promised(store.add(entry));
  }
  await finished(tx);
  return entry;
}

// Take an entry for sending: counts the try in the same transaction that reads the body, so a
// change made meanwhile goes into a new entry instead of altering what is on the wire.
export async function claim(seq) {
  const db = await openDb();
  const tx = db.transaction('outbox', 'readwrite');
  const store = tx.objectStore('outbox');
  const entry = await promised(store.get(seq));
  if (!entry || entry.status !== 'pending') {
    await finished(tx);
    return null;
  }
  entry.tries += 1;
  store.put(entry);
  await finished(tx);
  return entry;
}

// The server applied the entry: remove it and store the server's state in the pack record,
// atomically. `applyToRecord(record)` changes the record; `version` is what the op produced.
export async function acknowledge(visitId, entry, applyToRecord, version) {
  const db = await openDb();
  const tx = db.transaction(['outbox', 'packs'], 'readwrite');
  tx.objectStore('outbox').delete(entry.seq);
  const packs = tx.objectStore('packs');
  const record = await promised(packs.get(visitId));
  if (record) {
    applyToRecord(record);
    record.acked = record.acked || {};
    record.acked[`${entry.group}:${entry.key}`] = { version, author_id: entry.author_id };
    packs.put(record);
  }
  await finished(tx);
  return record;
}

export async function mark(seq, status, extra = {}) {
  const db = await openDb();
  const tx = db.transaction('outbox', 'readwrite');
  const store = tx.objectStore('outbox');
  const entry = await promised(store.get(seq));
  if (entry) {
    Object.assign(entry, extra, { status, updated_at: new Date().toISOString() });
    store.put(entry);
  }
  await finished(tx);
}

// The author chose the server's version (or discarded a refused change): drop the chain.
export async function dropChain(visitId, group, key, authorId, applyToRecord) {
  const db = await openDb();
  const tx = db.transaction(['outbox', 'packs'], 'readwrite');
  const store = tx.objectStore('outbox');
  for (const e of chainOf(await entriesOf(store, visitId), group, key, authorId)) {
    store.delete(e.seq);
  }
  if (applyToRecord) {
    const packs = tx.objectStore('packs');
    const record = await promised(packs.get(visitId));
    if (record) {
      applyToRecord(record);
      packs.put(record);
    }
  }
  await finished(tx);
}

// Keep this tablet's version: one new change, based on the server's version, carrying the
// latest edit of the chain.
export async function rebaseChain(visitId, group, key, authorId, serverVersion) {
  const db = await openDb();
  const tx = db.transaction('outbox', 'readwrite');
  const store = tx.objectStore('outbox');
  const chain = chainOf(await entriesOf(store, visitId), group, key, authorId);
  const last = chain[chain.length - 1];
  if (!last) {
    await finished(tx);
    return null;
  }
  for (const e of chain) {
    store.delete(e.seq);
  }
  const now = new Date().toISOString();
  const type = last.type;
  if (type === 'observation_delete' && serverVersion === 0) {
    // Already gone on the server: nothing left to send.
    await finished(tx);
    return null;
  }
  const entry = {
    visit_id: visitId,
    group,
    key,
    type,
    body: last.body,
    base_version: serverVersion,
    op_id: newId(),
    author_id: last.author_id,
    author_name: last.author_name,
    status: 'pending',
    tries: 0,
    server: null,
    error: null,
    created_at: now,
    updated_at: now,
  };
  entry.seq = await promised(store.add(entry));
  await finished(tx);
  return entry;
}

export async function retryChain(visitId, group, key, authorId) {
  const db = await openDb();
  const tx = db.transaction('outbox', 'readwrite');
  const store = tx.objectStore('outbox');
  for (const e of chainOf(await entriesOf(store, visitId), group, key, authorId)) {
    if (e.status === 'rejected') {
      e.status = 'pending';
      e.error = null;
      store.put(e);
    }
  }
  await finished(tx);
}

// The signed-in person discarded, after confirming, what someone else left on this tablet.
export async function dropAuthor(authorId) {
  const db = await openDb();
  const tx = db.transaction('outbox', 'readwrite');
  const store = tx.objectStore('outbox');
  let n = 0;
  for (const e of await promised(store.getAll())) {
    if (e.author_id === authorId) {
      store.delete(e.seq);
      n += 1;
    }
  }
  await finished(tx);
  return n;
}
