// Parley's service worker, as the server writes it for the running build
// (server/src/site/worker.rs fills in BUILD and ASSETS).
//
// - Keeps the build's files (the ones every page names) and the offline
//   page; drops the caches of earlier builds when this one takes over.
// - A navigation that cannot reach the server gets the offline page.
// - Never keeps an answer of the API, the socket's traffic or a page: those
//   carry someone's chats. The offline page is fetched signed out.
// - Shows a push (server/src/push/): one notification per chat (its tag),
//   a repeat of a message already shown dropped; a click opens the chat.
"use strict";

const BUILD = "__BUILD__";
const ASSETS = __ASSETS__;
const CACHE = `parley-${BUILD}`;
const OFFLINE = "/offline";

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      await cache.addAll(ASSETS);
      const offline = await fetch(OFFLINE, { credentials: "omit" });
      if (offline.ok) await cache.put(OFFLINE, offline);
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith("parley-") && name !== CACHE) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(
      fetch(request).catch(async () => {
        const offline = await caches.match(OFFLINE, { cacheName: CACHE });
        return offline || Response.error();
      }),
    );
    return;
  }
  if (ASSETS.includes(url.pathname)) {
    event.respondWith(
      caches
        .match(url.pathname, { cacheName: CACHE })
        .then((kept) => kept || fetch(request)),
    );
  }
});

// Message ids shown since this worker started (a push repeated after a
// server's crash is dropped; see docs/PROTOCOL.md).
const shown = new Set();

self.addEventListener("push", (event) => {
  let push;
  try {
    push = event.data.json();
  } catch {
    return;
  }
  if (push.type !== "message") return;
  event.waitUntil(show(push));
});

async function show(push) {
  // The same tag as an open tab's own notification of the chat (live/notify.rs).
  const tag = push.chatId;
  const open = await self.registration.getNotifications({ tag });
  const repeat =
    shown.has(push.messageId) ||
    open.some((n) => n.data && n.data.messageId === push.messageId);
  if (repeat) return;
  shown.add(push.messageId);
  const title = push.chatName
    ? `${push.senderName} in ${push.chatName}`
    : push.senderName;
  await self.registration.showNotification(title, {
    body: push.preview,
    tag,
    renotify: true,
    icon: await initials(push.senderName),
    badge: "/icons/icon-192.png",
    data: {
      chatId: push.chatId,
      messageId: push.messageId,
      url: `/chats/${push.chatId}`,
    },
  });
  if (self.navigator.setAppBadge) self.navigator.setAppBadge().catch(() => {});
}

// The sender's initials on Parley's green, as a PNG; the app's icon where
// the worker cannot draw.
async function initials(name) {
  try {
    const letters =
      name
        .split(/\s+/)
        .filter(Boolean)
        .slice(0, 2)
        .map((word) => [...word][0].toUpperCase())
        .join("") || "?";
    const canvas = new OffscreenCanvas(96, 96);
    const g = canvas.getContext("2d");
    g.fillStyle = "#1f7a5c";
    g.beginPath();
    g.arc(48, 48, 48, 0, 2 * Math.PI);
    g.fill();
    g.fillStyle = "#ffffff";
    g.font = "bold 40px sans-serif";
    g.textAlign = "center";
    g.textBaseline = "middle";
    g.fillText(letters, 48, 50);
    const blob = await canvas.convertToBlob({ type: "image/png" });
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let binary = "";
    for (const byte of bytes) binary += String.fromCharCode(byte);
    return `data:image/png;base64,${btoa(binary)}`;
  } catch {
    return "/icons/icon-192.png";
  }
}

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const path = (event.notification.data && event.notification.data.url) || "/";
  const url = new URL(path, self.location.origin).href;
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({
        type: "window",
        includeUncontrolled: true,
      });
      // Focusing can be refused (no user gesture behind the click): the
      // chat opens all the same.
      const there = windows.find((client) => client.url === url);
      if (there) return there.focus().catch(() => there);
      if (windows.length > 0) {
        const client = windows[0];
        await client.focus().catch(() => client);
        return client.navigate(url);
      }
      return self.clients.openWindow(url);
    })(),
  );
});
