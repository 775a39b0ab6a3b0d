// The service worker's caching for offline play, imported by /sw.js (which sets
// `STUDYHUB_VERSION` and `STUDYHUB_FILES`, this build's files). The play page and every file
// are kept when the worker installs, so /play opens with no network at all; the learner's
// pack and what was played live in IndexedDB (offline-store.js), not here. The API is never
// cached: offline, the page plays from the pack and syncs when it is back.
/* global self, caches, clients */

const CACHE = `studyhub-${self.STUDYHUB_VERSION}`;
// Pages that open offline (the rest say the connection is gone, as without a worker).
const OFFLINE_PAGES = ['/play'];
const MANIFEST = '/manifest.webmanifest';
// Responses vary on headers a page's own requests set differently (`Origin` for a module
// script): a file is the same whoever asks.
const ANY = { ignoreVary: true };

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll([...OFFLINE_PAGES, MANIFEST, ...self.STUDYHUB_FILES]);
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key.startsWith('studyhub-') && key !== CACHE) await caches.delete(key);
    }
    await clients.claim();
  })());
});

// A page: the network first (a new build shows at once), the kept copy without one.
async function page(request, path) {
  const cache = await caches.open(CACHE);
  try {
    const res = await fetch(request);
    if (res.ok) await cache.put(path, res.clone());
    return res;
  } catch (e) {
    const kept = await cache.match(path, ANY);
    if (kept) return kept;
    throw e;
  }
}

// A file of this build: it never changes under its address, so the kept copy first.
async function file(request) {
  const cache = await caches.open(CACHE);
  const kept = await cache.match(request.url, ANY);
  if (kept) return kept;
  const res = await fetch(request);
  if (res.ok && new URL(request.url).pathname.startsWith(`/assets/${self.STUDYHUB_VERSION}/`)) {
    await cache.put(request, res.clone());
  }
  return res;
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === 'navigate' && OFFLINE_PAGES.includes(url.pathname)) {
    event.respondWith(page(request, url.pathname));
  } else if (url.pathname === MANIFEST) {
    event.respondWith(page(request, MANIFEST));
  } else if (url.pathname.startsWith('/assets/')) {
    event.respondWith(file(request));
  }
});
