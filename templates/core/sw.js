/* Sadar Imigrasi's service worker (field mode over HTTPS): pages of the villager's way are
 * fetched from the network first and kept, so a reload without connection still shows them;
 * static files come from the cache. Quiz pages are forgotten when the kiosk resets. */
"use strict";
const PAGES = "sadar-pages-v1";
const STATIC = "sadar-static-v1";
const ATTEMPT = /^\/quizzes\/attempts\/([0-9a-f-]{36})\/(\d+|finish)$/;
const KEEP = [ATTEMPT, /^\/kiosk\/?$/, /^\/kiosk\/lesson\//, /^\/kiosk\/next$/];
const OFFLINE = {{ offline_page | tojson }};

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("message", (event) => {
  if (event.data === "forget-person") {
    event.waitUntil(forgetAttempts());
  }
});

async function forgetAttempts() {
  const cache = await caches.open(PAGES);
  for (const request of await cache.keys()) {
    if (ATTEMPT.test(new URL(request.url).pathname)) { await cache.delete(request); }
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") { return; }
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(cacheFirst(request));
  } else if (request.mode === "navigate") {
    event.respondWith(networkFirst(request, url));
  }
});

async function cacheFirst(request) {
  const cache = await caches.open(STATIC);
  const hit = await cache.match(request);
  if (hit) { return hit; }
  const response = await fetch(request);
  if (response.ok) { cache.put(request, response.clone()); }
  return response;
}

async function networkFirst(request, url) {
  const cache = await caches.open(PAGES);
  try {
    const response = await fetch(request);
    if (response.ok && KEEP.some((pattern) => pattern.test(url.pathname))) {
      cache.put(request, response.clone());
    }
    return response;
  } catch (error) {
    const hit = await cache.match(request);
    if (hit) { return hit; }
    // Another question of the same attempt: its page carries every question of the attempt.
    const match = ATTEMPT.exec(url.pathname);
    if (match) {
      for (const key of await cache.keys()) {
        const other = ATTEMPT.exec(new URL(key.url).pathname);
        if (other && other[1] === match[1]) { return cache.match(key); }
      }
    }
    return new Response(OFFLINE, { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
  }
}
