/**
 * Page load on loopback with the network throttled by Chromium (DevTools
 * protocol), for a signed-in person with chats: bytes on the wire, time to the
 * first chat row on screen and time to interactive (hydrated), on a first
 * visit and a second one, each `RUNS` times (medians printed).
 */
import { BrowserContext, Page } from '@playwright/test';
import { expect, test } from '../tests/fixtures';
import { person, send, signUp, startDirectChat, startGroup } from '../tests/helpers';

const RUNS = 5;

/** DevTools' presets, spelled out. */
const NETWORKS = {
  'Slow 4G': { latency: 150, downloadThroughput: (1.6 * 1024 * 1024) / 8, uploadThroughput: (750 * 1024) / 8 },
  'Fast 3G': { latency: 562.5, downloadThroughput: (1.44 * 1024 * 1024) / 8, uploadThroughput: (675 * 1024) / 8 },
};

interface Load {
  bytes: number;
  requests: number;
  firstRowMs: number;
  hydratedMs: number;
}

/** Loads `/` in `page`, throttled; what went over the wire and when things showed. */
async function load(context: BrowserContext, page: Page, url: string, network: keyof typeof NETWORKS, identity: boolean): Promise<Load> {
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, ...NETWORKS[network] });
  if (identity) await cdp.send('Network.setExtraHTTPHeaders', { headers: { 'Accept-Encoding': 'identity' } });
  let bytes = 0;
  let requests = 0;
  cdp.on('Network.loadingFinished', (event: { encodedDataLength: number }) => {
    bytes += event.encodedDataLength;
    requests += 1;
  });
  await page.addInitScript(markMoments);
  await page.goto(url, { waitUntil: 'commit' });
  await page.getByTestId('chat-row').first().waitFor({ state: 'visible', timeout: 120_000 });
  await page.locator('html[data-hydrated]').waitFor({ state: 'attached', timeout: 120_000 });
  // The socket's own traffic is not a page load: stop counting at interactive.
  await cdp.detach();
  const marks = await page.evaluate(() => (window as any).__marks);
  return { bytes, requests, firstRowMs: Math.round(marks.row), hydratedMs: Math.round(marks.hydrated) };
}

/**
 * Runs in the page before its own scripts: notes, in ms since the navigation
 * began, the first frame that can paint a chat row (a frame waits for
 * render-blocking CSS) and the moment the page is hydrated. Timed in the page,
 * not by polling from the test, which would round up to its polling steps.
 */
function markMoments() {
  const w = window as any;
  if (w.__marks) return;
  const marks: { row?: number; hydrated?: number } = {};
  w.__marks = marks;
  let rowSeen = false;
  const check = () => {
    if (!rowSeen && document.querySelector('[data-testid="chat-row"]')) {
      rowSeen = true;
      requestAnimationFrame(() => { marks.row = performance.now(); });
    }
    if (marks.hydrated === undefined && document.documentElement?.hasAttribute('data-hydrated')) {
      marks.hydrated = performance.now();
    }
  };
  new MutationObserver(check).observe(document, {
    childList: true, subtree: true, attributes: true, attributeFilter: ['data-hydrated'],
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

test('page load, throttled', async ({ browser, server }) => {
  const harley = await person(browser);
  const mike = await person(browser);
  await signUp(mike.page, server, 'mike', 'Mike');
  await signUp(harley.page, server, 'harley', 'Harley');
  await startDirectChat(harley.page, 'mike');
  await send(harley.page, 'Hi Mike!');
  const openChat = new URL(harley.page.url()).pathname;
  await startGroup(harley.page, 'Crew', 'mike');
  await send(harley.page, 'Hello crew');
  const state = await harley.context.storageState();
  await harley.context.close();

  const rows: string[] = ['| page | network | encoding | visit | bytes | requests | first chat row ms | interactive ms |', '|---|---|---|---|---|---|---|---|'];
  // The chat list, and a chat opened at its own address (whose conversation
  // is a chunk of its own, fetched before the page hydrates); the latter
  // compressed only.
  for (const [path, encodings] of [['/', [true, false]], [openChat, [false]]] as const) {
    for (const network of Object.keys(NETWORKS) as (keyof typeof NETWORKS)[]) {
      for (const identity of encodings) {
        const first: Load[] = [];
        const second: Load[] = [];
        for (let run = 0; run < RUNS; run++) {
          const context = await browser.newContext({ storageState: state });
          const page = await context.newPage();
          first.push(await load(context, page, `${server.url}${path}`, network, identity));
          const again = await context.newPage();
          second.push(await load(context, again, `${server.url}${path}`, network, identity));
          await context.close();
        }
        for (const [visit, loads] of [['first', first], ['second', second]] as const) {
          rows.push(
            `| ${path === '/' ? '/' : '/chats/:id'} | ${network} | ${identity ? 'identity' : 'br'} | ${visit} | ${median(loads.map((l) => l.bytes))} | ${median(loads.map((l) => l.requests))} | ${median(loads.map((l) => l.firstRowMs))} | ${median(loads.map((l) => l.hydratedMs))} |`,
          );
        }
      }
    }
  }
  console.log(rows.join('\n'));
  expect(rows.length).toBeGreaterThan(2);
});
