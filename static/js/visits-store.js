// KvIP visit mode: what the tablet keeps in IndexedDB.
//
// "packs"  – the visit pack per visit (GET /api/v1/visits/<id>), as last seen from the server.
// "outbox" – every change made on the tablet, in order, until the server has applied it or the
//            reviewer explicitly discards it. Nothing leaves the outbox any other way.
//
// An outbox entry: {seq, visit_id, group: "f"|"o", key, type: "finding"|"observation"|
// "observation_delete", body, base_version, op_id, status: "pending"|"conflict"|"rejected",
// tries, server, error, created_at, updated_at}. Entries of one (group, key) form a chain sent
// strictly in order; each entry's base_version is the version the server will have once the
// earlier entries of the chain are applied (the server adds exactly 1 per applied write).

const DB_NAME = 'kvip-visits';
const DB_VERSION = 1;
export const CACHE_NAME = 'kvip-visits-v1';

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

export async function savePack(visitId, pack, { prepared = false } = {}) {
  const db = await openDb();
  const tx = db.transaction('packs', 'readwrite');
  const store = tx.objectStore('packs');
  const old = await promised(store.get(visitId));
  const now = new Date().toISOString();
  const record = {
    id: visitId,
    pack,
    saved_at: now,
    prepared_at: prepared ? now : old ? old.prepared_at || null : null,
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

function chainOf(rows, group, key) {
  return rows.filter((e) => e.group === group && e.key === key);
}

// Add a change. The last entry of the chain is changed in place only if it was never handed to
// the network (tries === 0): its op_id cannot have reached the server.
export async function enqueue(visitId, group, key, type, body, knownVersion) {
  const db = await openDb();
  const tx = db.transaction('outbox', 'readwrite');
  const store = tx.objectStore('outbox');
  const chain = chainOf(await entriesOf(store, visitId), group, key);
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
      base_version: last ? last.base_version + 1 : knownVersion,
      op_id: newId(),
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

// The server applied the entry: remove it and store the server's state in the pack, atomically.
export async function acknowledge(visitId, seq, applyToPack) {
  const db = await openDb();
  const tx = db.transaction(['outbox', 'packs'], 'readwrite');
  tx.objectStore('outbox').delete(seq);
  const packs = tx.objectStore('packs');
  const record = await promised(packs.get(visitId));
  if (record) {
    applyToPack(record.pack);
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

// The reviewer chose the server's version (or discarded a refused change): drop the chain.
export async function dropChain(visitId, group, key, applyToPack) {
  const db = await openDb();
  const tx = db.transaction(['outbox', 'packs'], 'readwrite');
  const store = tx.objectStore('outbox');
  for (const e of chainOf(await entriesOf(store, visitId), group, key)) {
    store.delete(e.seq);
  }
  if (applyToPack) {
    const packs = tx.objectStore('packs');
    const record = await promised(packs.get(visitId));
    if (record) {
      applyToPack(record.pack);
      packs.put(record);
    }
  }
  await finished(tx);
}

// The reviewer chose this tablet's version: one new change, based on the server's version,
// carrying the latest edit of the chain.
export async function rebaseChain(visitId, group, key, serverVersion) {
  const db = await openDb();
  const tx = db.transaction('outbox', 'readwrite');
  const store = tx.objectStore('outbox');
  const chain = chainOf(await entriesOf(store, visitId), group, key);
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

export async function retryChain(visitId, group, key) {
  const db = await openDb();
  const tx = db.transaction('outbox', 'readwrite');
  const store = tx.objectStore('outbox');
  for (const e of chainOf(await entriesOf(store, visitId), group, key)) {
    if (e.status === 'rejected') {
      e.status = 'pending';
      e.error = null;
      store.put(e);
    }
  }
  await finished(tx);
}
