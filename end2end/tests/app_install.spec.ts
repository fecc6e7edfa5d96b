import { Page } from '@playwright/test';
import { createDecipheriv, createECDH, hkdfSync, randomBytes } from 'node:crypto';
import { createServer, IncomingHttpHeaders } from 'node:http';
import { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, hydrated, test, watchForPageErrors } from './fixtures';
import { audit, person, send, signUp, startDirectChat } from './helpers';

/*
 * Parley as an app: installable (a manifest Chromium finds nothing wrong
 * with), a service worker in control of the page, an offline page for a
 * navigation that cannot reach the server, and a push shown as a
 * notification that opens its chat.
 */

// This file is about the service worker: let it run (the rest of the suite
// blocks it, see playwright.config.ts).
test.use({ serviceWorkers: 'allow' });

/** Waits until the service worker is active and in control of `page`. */
async function workerInControl(page: Page) {
  await page.evaluate(() => navigator.serviceWorker.ready);
  if (!(await page.evaluate(() => navigator.serviceWorker.controller !== null))) {
    // A page loaded before its worker was: the next load is controlled.
    await page.reload();
    await hydrated(page);
  }
  expect(await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL)).toMatch(/\/sw\.js$/);
}

test('Parley installs: the manifest has no installability errors and the service worker controls the page', async ({ playwright, server }, testInfo) => {
  // A profile of its own: Chromium installs nothing from an incognito
  // context, which is what a test's context otherwise is.
  const profile = mkdtempSync(path.join(tmpdir(), 'parley-profile-'));
  const context = await playwright.chromium.launchPersistentContext(profile, {
    ...testInfo.project.use.launchOptions,
    locale: 'en-GB',
    serviceWorkers: 'allow',
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const errors = await watchForPageErrors(page);
    await signUp(page, server, 'harley', 'Harley');
    await workerInControl(page);

    const cdp = await context.newCDPSession(page);
    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
    expect(installabilityErrors).toEqual([]);
    const manifest = await page.evaluate(async () => {
      const response = await fetch('/manifest.webmanifest');
      return { type: response.headers.get('content-type'), body: await response.json() };
    });
    expect(manifest.type).toMatch(/^application\/manifest\+json/);
    expect(manifest.body.display).toBe('standalone');
    expect(manifest.body.icons.map((icon: { purpose: string }) => icon.purpose)).toContain('maskable');
    // Nothing of anyone's was kept: only the build's files and the offline page.
    const kept = await page.evaluate(async () => {
      const urls: string[] = [];
      for (const name of await caches.keys()) {
        const cache = await caches.open(name);
        for (const request of await cache.keys()) urls.push(new URL(request.url).pathname);
      }
      return urls;
    });
    expect(kept).toContain('/offline');
    expect(kept.filter((path) => path.endsWith('.wasm')).length, 'the WebAssembly is kept').toBeGreaterThan(0);
    for (const path of kept) {
      expect(path, 'kept by the worker').toMatch(/^\/(pkg|vendor|icons)\/|^\/favicon|^\/manifest\.webmanifest$|^\/offline(\.js)?$/);
    }
    expect(errors).toEqual([]);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
});

for (const scheme of ['light', 'dark'] as const) {
  test(`a navigation that cannot reach the server shows the offline page, and Parley is back with the server, ${scheme}`, async ({ browser, server }) => {
    const harley = await person(browser);
    await harley.page.emulateMedia({ colorScheme: scheme });
    await signUp(harley.page, server, 'harley', 'Harley');
    await workerInControl(harley.page);

    await server.stop();
    await harley.page.goto(`${server.url}/account`);
    await expect(harley.page.getByRole('heading', { name: "You're offline" })).toBeVisible();
    await expect(harley.page.getByRole('status')).toContainText('Parley will reconnect');
    await audit(harley.page, 'the offline page');

    await server.start();
    // The offline page asks again by itself: the page asked for comes back.
    await expect(harley.page.getByRole('heading', { name: 'Settings' })).toBeVisible({ timeout: 60_000 });
    await expect(harley.page.getByRole('heading', { name: "You're offline" })).toHaveCount(0);
    await hydrated(harley.page);
  });
}

test('a push is shown as a notification of its chat, and clicking it opens the chat', async ({ browser, server }) => {
  const harley = await person(browser);
  const mike = await person(browser);
  await signUp(mike.page, server, 'mike', 'Mike');
  await signUp(harley.page, server, 'harley', 'Harley');
  await startDirectChat(harley.page, 'mike');
  await send(harley.page, 'Hi Mike!');
  const chatPath = new URL(harley.page.url()).pathname;
  const chatId = chatPath.split('/').pop()!;
  await mike.context.grantPermissions(['notifications'], { origin: server.url });
  await workerInControl(mike.page);

  // The browser's push service, stood in for: the payload as the server sends it.
  const cdp = await mike.context.newCDPSession(mike.page);
  const registration = new Promise<string>((resolve) => {
    cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations }) => {
      const ours = registrations.find((r: { scopeURL: string; isDeleted: boolean }) => r.scopeURL === `${server.url}/` && !r.isDeleted);
      if (ours) resolve(ours.registrationId);
    });
  });
  await cdp.send('ServiceWorker.enable');
  const registrationId = await registration;
  const payload = {
    type: 'message',
    chatId,
    messageId: '0190f0c2-0000-7000-8000-000000000001',
    senderName: 'Harley',
    preview: 'Hi Mike!',
  };
  const deliver = () =>
    cdp.send('ServiceWorker.deliverPushMessage', {
      origin: server.url,
      registrationId,
      data: JSON.stringify(payload),
    });
  await deliver();
  // The same message again (a repeat after a server's crash): still one.
  await deliver();

  const shown = () =>
    mike.page.evaluate(async () =>
      (await (await navigator.serviceWorker.ready).getNotifications()).map((n) => ({
        title: n.title,
        body: n.body,
        tag: n.tag,
      })),
    );
  await expect.poll(shown).toEqual([{ title: 'Harley', body: 'Hi Mike!', tag: chatId }]);

  // Clicking it (as the system would) brings Parley to that chat.
  await mike.page.goto(`${server.url}/account`);
  await hydrated(mike.page);
  const worker = mike.context.serviceWorkers().find((w) => w.url().endsWith('/sw.js'));
  expect(worker, 'the worker runs').toBeTruthy();
  await worker!.evaluate(async () => {
    // The worker's own globals (not the page's: no DOM types for them here).
    const scope = self as any;
    const [notification] = await scope.registration.getNotifications();
    scope.dispatchEvent(new scope.NotificationEvent('notificationclick', { notification }));
  });
  await expect(mike.page).toHaveURL(`${server.url}${chatPath}`);
  await expect(mike.page.getByTestId('message-body').getByText('Hi Mike!', { exact: true })).toBeVisible();
  expect(mike.errors).toEqual([]);
});

/** A push service on loopback standing in for the browser's: it keeps what it is sent. */
async function pushService() {
  const received: { path: string; headers: IncomingHttpHeaders; body: Buffer }[] = [];
  const service = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks) });
      response.writeHead(201).end();
    });
  });
  await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
  const { port } = service.address() as AddressInfo;
  return { received, origin: `http://127.0.0.1:${port}`, close: () => service.close() };
}

/** A device's push keys, as the browser makes them (P-256, a 16-byte secret). */
function deviceKeys() {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return { ecdh, auth: randomBytes(16) };
}

/** What a push says, decrypted as the browser does (RFC 8291, aes128gcm). */
function readPush(body: Buffer, device: ReturnType<typeof deviceKeys>) {
  const salt = body.subarray(0, 16);
  const idlen = body[20];
  const serverKey = body.subarray(21, 21 + idlen);
  const sealed = body.subarray(21 + idlen);
  const shared = device.ecdh.computeSecret(serverKey);
  const info = Buffer.concat([Buffer.from('WebPush: info\0'), device.ecdh.getPublicKey(), serverKey]);
  const ikm = Buffer.from(hkdfSync('sha256', shared, device.auth, info, 32));
  const key = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const decipher = createDecipheriv('aes-128-gcm', key, nonce);
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  const plain = Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]);
  return JSON.parse(plain.subarray(0, plain.lastIndexOf(2)).toString());
}

test.describe('with a push service on loopback', () => {
  test.use({ serverEnv: { PARLEY_PUSH_ALLOW_HTTP_LOOPBACK: 'true' } });

  test('turning notifications on subscribes this device: a message reaches it while its chat is closed', async ({ browser, server }) => {
    const service = await pushService();
    const device = deviceKeys();
    const mike = await person(browser);
    // The browser's push service, stood in for: PushManager hands out a
    // subscription whose keys this test holds.
    await mike.page.addInitScript((keys) => {
      let current: object | null = null;
      PushManager.prototype.subscribe = async function () {
        current = {
          endpoint: keys.endpoint,
          toJSON: () => ({ endpoint: keys.endpoint, expirationTime: null, keys: { p256dh: keys.p256dh, auth: keys.auth } }),
          unsubscribe: async () => {
            current = null;
            return true;
          },
        };
        return current as PushSubscription;
      };
      PushManager.prototype.getSubscription = async function () {
        return current as PushSubscription | null;
      };
    }, {
      endpoint: `${service.origin}/push/mikes-laptop`,
      p256dh: device.ecdh.getPublicKey().toString('base64url'),
      auth: device.auth.toString('base64url'),
    });
    await mike.context.grantPermissions(['notifications'], { origin: server.url });
    await signUp(mike.page, server, 'mike', 'Mike');
    await mike.page.goto(`${server.url}/account`);
    await hydrated(mike.page);
    const toggle = mike.page.getByTestId('device-notifications');
    await expect(toggle).toBeEnabled();
    await expect(toggle).not.toBeChecked();
    await toggle.check();
    await expect(mike.page.getByTestId('settings-status')).toHaveText('Saved.');
    await expect(toggle).toBeChecked();

    const harley = await person(browser);
    await signUp(harley.page, server, 'harley', 'Harley');
    await startDirectChat(harley.page, 'mike');
    await send(harley.page, 'Band practice at six');

    await expect.poll(() => service.received.length).toBe(1);
    const [push] = service.received;
    expect(push.path).toBe('/push/mikes-laptop');
    expect(push.headers['content-encoding']).toBe('aes128gcm');
    expect(readPush(push.body, device)).toMatchObject({
      type: 'message',
      senderName: 'Harley',
      preview: 'Band practice at six',
    });

    // Off again: unsubscribed here and on the server.
    await toggle.uncheck();
    await expect(toggle).not.toBeChecked();
    await expect(mike.page.getByTestId('settings-status')).toHaveText('Saved.');
    service.close();
    expect(mike.errors).toEqual([]);
  });
});
