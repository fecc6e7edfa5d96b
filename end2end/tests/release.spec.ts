import { get } from 'node:http';
import { Page } from '@playwright/test';
import { expect, hydrated, test } from './fixtures';
import { bubble, person, send, signUp, startDirectChat } from './helpers';

/*
 * What people run: the suite drives the release binary serving the site as
 * README command 1 builds it (release, hashed names, precompressed, split).
 * These tests hold that build to what a person opening Parley gets: every file
 * a page names is there, as it should be served, and the page is styled.
 */

/** The type each kind of asset must be served with. */
const TYPES: Record<string, RegExp> = {
  css: /^text\/css\b/,
  js: /^(text|application)\/javascript\b/,
  wasm: /^application\/wasm$/,
  json: /^application\/json\b/,
  svg: /^image\/svg\+xml\b/,
  png: /^image\/png$/,
  webmanifest: /^application\/manifest\+json\b/,
};
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** `name.<hash>.ext`, as the release build names what it writes. */
const HASHED = /\.[A-Za-z0-9_-]{8,}\.[a-z]+$/;
/** `/vendor/socket.io-4.8.1.min.js`: a new version is a new name. */
const VERSIONED = /^\/vendor\/[a-z.-]+-\d+\.\d+\.\d+[.a-z]*$/;

/** Every file of this origin the page names in its markup (not its links to other pages). */
async function namedInMarkup(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll('link[href], script[src], img[src]')].map(
      (element) => (element as HTMLLinkElement).href || (element as HTMLScriptElement).src,
    ),
  );
}

/** The answer to a plain request for `url` by a browser that takes brotli. */
function fetchAsBrowser(url: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const request = get(url, { headers: { 'Accept-Encoding': 'br, gzip' } }, (response) => {
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers }));
    });
    request.on('error', reject);
  });
}

test('every file the pages name is served as built: 200, its type, compressed, kept for good when hashed', async ({ browser, server }) => {
  const harley = await person(browser);
  const mike = await person(browser);
  // Everything the browser fetched from the server, and what it could not.
  const fetched = new Map<string, number>();
  const failed: string[] = [];
  for (const { page } of [harley, mike]) {
    page.on('response', (response) => fetched.set(response.url(), response.status()));
    // Not one the browser gave up itself (`net::ERR_ABORTED`): a navigation
    // cancels what the page was still fetching, and a newer tab icon (the
    // unread dot comes and goes) the older one. What was answered is checked
    // below, and every named file is fetched on its own.
    page.on('requestfailed', (request) => {
      const error = request.failure()?.errorText;
      if (error !== 'net::ERR_ABORTED') failed.push(`${request.url()}: ${error}`);
    });
  }
  const named = new Set<string>();
  const visit = async (page: Page, path: string) => {
    await page.goto(`${server.url}${path}`);
    await hydrated(page);
    // The chunks a page fetches once it is idle are named by the split
    // manifest, not the markup: they count once they have come.
    await page.waitForLoadState('networkidle');
    for (const url of await namedInMarkup(page)) named.add(url);
  };

  await visit(harley.page, '/login');
  await visit(harley.page, '/signup');
  // The story a new person tries first: sign up, start a chat, send, see ✓✓.
  await signUp(mike.page, server, 'mike', 'Mike');
  await signUp(harley.page, server, 'harley', 'Harley');
  await startDirectChat(harley.page, 'mike');
  await send(harley.page, 'Hi Mike!');
  await expect(bubble(harley.page, 'Hi Mike!')).toHaveAttribute('data-status', 'delivered');
  const chatPath = new URL(harley.page.url()).pathname;
  await visit(mike.page, '/');
  await visit(mike.page, chatPath);
  await expect(bubble(mike.page, 'Hi Mike!')).toBeVisible();
  await expect(bubble(harley.page, 'Hi Mike!')).toHaveAttribute('data-status', 'seen');
  await visit(harley.page, chatPath);

  expect(failed, 'requests that failed').toEqual([]);
  const refused = [...fetched].filter(([, status]) => status >= 400);
  expect(refused, 'answers of 400 and over').toEqual([]);

  const origin = new URL(server.url).origin;
  const assets = new Set(
    [...named, ...fetched.keys()].filter((url) => {
      const { origin: of, pathname } = new URL(url);
      return of === origin && /\.[a-z0-9]+$/.test(pathname) && !pathname.startsWith('/api/');
    }),
  );
  // The files the JavaScript names in turn: the chunks' loader imports the
  // page's module and fetches each chunk (those not opened on these visits too).
  for (const url of [...assets].filter((url) => url.endsWith('.js'))) {
    const source = await (await fetch(url)).text();
    for (const [, name] of source.matchAll(/(?:fetch\(new URL\(|from )"\.\/([^"]+)"/g)) {
      assets.add(new URL(name, url).href);
    }
  }
  const kinds = new Set([...assets].map((url) => url.split('.').pop()!));
  // The stylesheet, the JavaScript (the service worker's too), the
  // WebAssembly and its chunks, the icon, the app's manifest and its home
  // screen icon.
  expect([...kinds].sort()).toEqual(['css', 'js', 'png', 'svg', 'wasm', 'webmanifest']);
  expect([...assets].filter((url) => /\/pkg\/chunk_\d+\./.test(url)).length, 'chunks').toBeGreaterThan(0);
  for (const url of assets) {
    const { pathname } = new URL(url);
    const kind = pathname.split('.').pop()!;
    const { status, headers } = await fetchAsBrowser(url);
    expect(status, `${pathname}: status`).toBe(200);
    expect(headers['content-type'], `${pathname}: type`).toMatch(TYPES[kind]);
    expect(headers['content-encoding'], `${pathname}: compressed`).toBe('br');
    // …and says it depends on what was asked for, so no cache in between
    // hands brotli to a browser that did not ask for it.
    expect(headers['vary'], `${pathname}: vary`).toBe('accept-encoding');
    const forGood = HASHED.test(pathname) || VERSIONED.test(pathname);
    if (pathname.startsWith('/pkg/')) {
      expect(forGood, `${pathname}: the build names what it writes by a hash of it`).toBe(true);
    }
    expect(headers['cache-control'], `${pathname}: cache`).toBe(forGood ? IMMUTABLE : 'no-cache');
  }
  for (const who of [harley, mike]) {
    expect(who.errors).toEqual([]);
  }
});

for (const scheme of ['light', 'dark'] as const) {
  test(`the pages are styled, ${scheme}`, async ({ browser, server }) => {
    const harley = await person(browser);
    await harley.page.emulateMedia({ colorScheme: scheme });
    const page = harley.page;
    /** Relative luminance (WCAG) of a computed `rgb(…)` colour. */
    const luminance = (rgb: string) => {
      const [r, g, b] = rgb.match(/\d+(\.\d+)?/g)!.slice(0, 3).map((c) => {
        const s = Number(c) / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const style = (selector: string, property: string) =>
      page.locator(selector).first().evaluate((element, property) => getComputedStyle(element).getPropertyValue(property), property);
    const pageIsOf = async (scheme: 'light' | 'dark') => {
      const background = luminance(await style('body', 'background-color'));
      const text = luminance(await style('body', 'color'));
      if (scheme === 'dark') {
        expect(background, 'a dark page').toBeLessThan(0.05);
        expect(text, 'light text').toBeGreaterThan(0.6);
      } else {
        expect(background, 'a light page').toBeGreaterThan(0.8);
        expect(text, 'dark text').toBeLessThan(0.05);
      }
      // Parley's own type, not the browser's default serif.
      expect(await style('body', 'font-family')).toContain('system-ui');
    };

    await page.goto(`${server.url}/login`);
    await pageIsOf(scheme);
    // The sign-in form is a card of its own, centred.
    expect(await style('.auth-card', 'border-radius')).toBe('12px');
    expect(await style('.app', 'justify-content')).toBe('center');

    await signUp(page, server, 'harley', 'Harley');
    await pageIsOf(scheme);
    // The chats page: the list beside the conversation, the whole window high.
    expect(await style('.chats', 'display')).toBe('grid');
    const columns = (await style('.chats', 'grid-template-columns')).split(' ');
    expect(columns).toHaveLength(2);
    const [list] = columns.map((width) => parseFloat(width));
    expect(list).toBeGreaterThanOrEqual(280);
    expect(list).toBeLessThanOrEqual(360);
    expect(harley.errors).toEqual([]);
  });
}
