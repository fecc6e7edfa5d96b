import { expect, test } from './fixtures';
import { hydrated, watchForPageErrors } from './fixtures';
import { bubble, person, send, signUp, startDirectChat } from './helpers';

test('the chat list is in the first HTML: readable without JavaScript, never gone while hydrating', async ({ browser, server }) => {
  const mike = await person(browser);
  const harley = await person(browser);
  await signUp(harley.page, server, 'harley', 'Harley');
  await signUp(mike.page, server, 'mike', 'Mike');
  await startDirectChat(mike.page, 'harley');
  await send(mike.page, 'are you there?');

  // Without JavaScript: the sign-in form posts, and the list is there.
  const noScript = await browser.newContext({ javaScriptEnabled: false });
  const page = await noScript.newPage();
  await page.goto(`${server.url}/login`);
  await page.getByLabel('Username').fill('harley');
  await page.getByLabel('Password').fill('harley password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  const row = page.getByTestId('chat-row');
  await expect(row).toHaveCount(1);
  await expect(row).toContainText('Mike');
  await expect(row).toContainText('are you there?');
  await expect(row.getByTestId('unread-badge')).toHaveText('1');
  // The row is a plain link: the conversation renders with its messages.
  await row.click();
  await expect(bubble(page, 'are you there?')).toBeVisible();
  await noScript.close();

  // With it: the row is in the first paint and stays through hydration.
  await harley.page.addInitScript(() => {
    const w = window as any;
    w.__rowSeen = false;
    w.__rowLost = false;
    w.__bubbleSeen = false;
    w.__bubbleLost = false;
    const watch = () => {
      const rows = document.querySelectorAll('[data-testid="chat-row"]').length;
      if (rows > 0) w.__rowSeen = true;
      else if (w.__rowSeen) w.__rowLost = true;
      const bubbles = document.querySelectorAll('[data-testid="message"]').length;
      if (bubbles > 0) w.__bubbleSeen = true;
      else if (w.__bubbleSeen) w.__bubbleLost = true;
    };
    new MutationObserver(watch).observe(document, { childList: true, subtree: true });
    document.addEventListener('DOMContentLoaded', watch);
  });
  await harley.page.goto(`${server.url}/`);
  await hydrated(harley.page);
  await expect(harley.page.getByTestId('connection')).toHaveCount(0);
  await expect(harley.page.getByTestId('chat-row')).toContainText('are you there?');
  expect(await harley.page.evaluate(() => (window as any).__rowSeen)).toBe(true);
  expect(await harley.page.evaluate(() => (window as any).__rowLost)).toBe(false);
  // The open chat too: its messages from the first paint, then live. Once the
  // page runs, moving between chats asks the server for nothing but over
  // the socket (no page data, no "Loading…" while it comes).
  const asked: string[] = [];
  harley.page.on('request', (request) => {
    if (request.url().includes('/api/')) asked.push(request.url());
  });
  await harley.page.getByTestId('chat-row').click();
  await expect(bubble(harley.page, 'are you there?')).toBeVisible();
  await harley.page.locator('a.back-link').evaluate((back: HTMLElement) => back.click());
  await expect(harley.page).toHaveURL(`${server.url}/`);
  await harley.page.getByTestId('chat-row').click();
  await expect(bubble(harley.page, 'are you there?')).toBeVisible();
  expect(asked).toEqual([]);
  const chatUrl = harley.page.url();
  await harley.page.goto(chatUrl);
  await hydrated(harley.page);
  await expect(bubble(harley.page, 'are you there?')).toBeVisible();
  // From the first paint through hydration and joining, never an empty chat.
  await expect(bubble(mike.page, 'are you there?')).toHaveAttribute('data-status', 'seen');
  expect(await harley.page.evaluate(() => (window as any).__bubbleSeen)).toBe(true);
  expect(await harley.page.evaluate(() => (window as any).__bubbleLost)).toBe(false);
  await send(mike.page, 'still here');
  await expect(bubble(harley.page, 'still here')).toBeVisible();
  await expect(bubble(mike.page, 'still here')).toHaveAttribute('data-status', 'seen');
  for (const who of [harley, mike]) {
    expect(who.errors).toEqual([]);
  }
});

test('the open chat is in the first HTML: at its newest message, in the reader’s time zone, nothing seen until it runs', async ({ browser, server }) => {
  const mike = await person(browser);
  await signUp(mike.page, server, 'mike', 'Mike');
  // Harley reads in India (UTC+5:30): no whole-hour offset can pass for it.
  const context = await browser.newContext({ timezoneId: 'Asia/Kolkata' });
  const page = await context.newPage();
  const errors = await watchForPageErrors(page);
  await signUp(page, server, 'harley', 'Harley');
  await startDirectChat(mike.page, 'harley');
  for (let n = 1; n <= 30; n++) await send(mike.page, `message ${n}`);
  await expect(bubble(mike.page, 'message 30')).toHaveAttribute('data-status', 'delivered');
  const chatPath = new URL(mike.page.url()).pathname;

  const localClock = (iso: string) =>
    new Intl.DateTimeFormat('en-GB', {
      hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: 'Asia/Kolkata',
    }).format(new Date(iso));
  const atNewest = () =>
    page.locator('.messages').evaluate((list) => {
      const overflowing = list.scrollHeight > list.clientHeight;
      return overflowing && list.scrollHeight - list.scrollTop - list.clientHeight < 2;
    });
  const shownTimes = async () => {
    const times = [
      page.getByTestId('chat-row').locator('time'),
      bubble(page, 'message 30').locator('time'),
    ];
    return Promise.all(times.map(async (time) => ({
      shown: await time.textContent(),
      expected: localClock((await time.getAttribute('datetime'))!),
    })));
  };

  // Before any WebAssembly runs (it never arrives): the server's page alone.
  await page.route(/\.wasm$/, (route) => route.abort());
  await page.goto(`${server.url}${chatPath}`);
  await expect(bubble(page, 'message 30')).toBeVisible();
  expect(await atNewest()).toBe(true);
  for (const { shown, expected } of await shownTimes()) expect(shown).toBe(expected);
  // Rendering the page marked nothing seen.
  await expect(bubble(mike.page, 'message 30')).toHaveAttribute('data-status', 'delivered');

  // Then the page runs: the same messages, place and times, and now seen.
  await page.unroute(/\.wasm$/);
  const refused = errors.length; // the blocked WebAssembly's own
  await page.reload();
  await hydrated(page);
  await expect(bubble(mike.page, 'message 30')).toHaveAttribute('data-status', 'seen');
  expect(await atNewest()).toBe(true);
  for (const { shown, expected } of await shownTimes()) expect(shown).toBe(expected);
  await send(mike.page, 'message 31');
  await expect(bubble(page, 'message 31')).toBeVisible();
  expect(errors.slice(refused)).toEqual([]);
  expect(mike.errors).toEqual([]);
  await context.close();
});

for (const idleCallbacks of [true, false]) {
  const browserKind = idleCallbacks ? '' : ' (a browser without requestIdleCallback)';
  test(`the dialogs load after the page and still open once it is offline${browserKind}`, async ({ browser, server }) => {
    const harley = await person(browser);
    const mike = await person(browser);
    if (!idleCallbacks) {
      await harley.page.addInitScript(() => {
        delete (window as any).requestIdleCallback;
      });
    }
    await signUp(mike.page, server, 'mike', 'Mike');
    await signUp(harley.page, server, 'harley', 'Harley');
    await startDirectChat(harley.page, 'mike');
    await send(harley.page, 'see you on the train');
    await expect(bubble(harley.page, 'see you on the train')).toHaveAttribute('data-status', /sent|delivered/);

    // A fresh load: the page's own WebAssembly carries no dialog; each dialog's
    // code (`split_<name>`, with the chunks it shares) comes after it runs.
    const fetched = ['chat_info_dialog', 'new_chat_dialog'].map((name) =>
      harley.page.waitForResponse((response) => response.url().includes(`/pkg/split_${name}.`)),
    );
    await harley.page.reload();
    await hydrated(harley.page);
    await Promise.all(fetched);
    // The chunks they share were asked for at the same time.
    await harley.page.waitForLoadState('networkidle');

    // In a tunnel: nothing more can be fetched, and the dialogs still open.
    await harley.context.setOffline(true);
    await harley.page.getByRole('button', { name: 'Contact info' }).click();
    await expect(harley.page.getByRole('dialog', { name: 'Mike' })).toBeVisible();
    await harley.page.keyboard.press('Escape');
    await expect(harley.page.getByRole('dialog')).toHaveCount(0);
    await harley.page.getByRole('button', { name: 'New chat' }).click();
    await expect(harley.page.getByRole('dialog', { name: 'New chat' })).toBeVisible();
    await expect(harley.page.getByLabel('Username')).toBeFocused();
  });
}

test('a dialog whose code cannot be fetched says so, and the page goes on working', async ({ browser, server }) => {
  const harley = await person(browser);
  const mike = await person(browser);
  await signUp(mike.page, server, 'mike', 'Mike');
  await signUp(harley.page, server, 'harley', 'Harley');
  await startDirectChat(harley.page, 'mike');

  // Every dialog's chunk fails, from the first load on (a network that drops
  // those requests): the page still starts, with nothing of it broken. (The
  // conversation's own chunk comes: the page shows a conversation.)
  const blocked = /\/pkg\/split_(?!conversation_pane\.)/;
  await harley.page.route(blocked, (route) => route.abort('internetdisconnected'));
  await harley.page.reload();
  await hydrated(harley.page);
  await harley.page.getByRole('button', { name: 'Contact info' }).click();
  const notLoaded = harley.page.getByRole('dialog', { name: 'Not downloaded yet' });
  await expect(notLoaded).toBeVisible();
  await notLoaded.getByRole('button', { name: 'Close' }).click();
  await expect(harley.page.getByRole('dialog')).toHaveCount(0);
  await expect(harley.page.getByRole('button', { name: 'Contact info' })).toBeFocused();

  // The page is alive: a message goes out and reaches Mike (online: ✓✓).
  await send(harley.page, 'still here');
  await expect(bubble(harley.page, 'still here')).toHaveAttribute('data-status', 'delivered');

  // Back online: the same button fetches the code again and the dialog opens.
  await harley.page.unroute(blocked);
  await harley.page.getByRole('button', { name: 'Contact info' }).click();
  await expect(harley.page.getByRole('dialog', { name: 'Mike' })).toBeVisible();
  // Nothing went wrong but the blocked requests, which the chunk loader
  // reports ("Failed to fetch").
  const unexpected = harley.errors.filter((error) => !blocked.test(error) && !/^(TypeError: )?Failed to fetch/.test(error));
  expect(unexpected).toEqual([]);
});

test('a conversation whose code cannot be fetched says so and can be tried again; its first HTML stays readable', async ({ browser, server }) => {
  const harley = await person(browser);
  const mike = await person(browser);
  await signUp(mike.page, server, 'mike', 'Mike');
  await signUp(harley.page, server, 'harley', 'Harley');
  await startDirectChat(mike.page, 'harley');
  await send(mike.page, 'are you there?');

  // The conversation is a chunk of its own, and the network drops it: the
  // chat list starts all the same, and opening the chat says what happened.
  const blocked = /\/pkg\/split_conversation_pane\./;
  await harley.page.route(blocked, (route) => route.abort('internetdisconnected'));
  await harley.page.goto(server.url);
  await hydrated(harley.page);
  await harley.page.getByTestId('chat-row').click();
  const alert = harley.page.getByRole('alert');
  await expect(alert).toHaveText('This chat could not be downloaded. Try again once you are online.');

  // Back online: "Try again" fetches it, and the chat works.
  await harley.page.unroute(blocked);
  await harley.page.getByRole('button', { name: 'Try again' }).click();
  await expect(bubble(harley.page, 'are you there?')).toBeVisible();
  await send(harley.page, 'here now');
  await expect(bubble(mike.page, 'here now')).toBeVisible();

  // Loaded at the chat's own address with the chunk dropped, the page cannot
  // hydrate the conversation it shows: it stays as the server sent it,
  // readable, rather than broken.
  await harley.page.route(blocked, (route) => route.abort('internetdisconnected'));
  const refused = harley.page.waitForEvent('requestfailed', (request) => blocked.test(request.url()));
  await harley.page.reload();
  await refused;
  await expect(bubble(harley.page, 'here now')).toBeVisible();
  await expect(harley.page.locator('html[data-hydrated]')).toHaveCount(0);
  await expect(harley.page.getByTestId('chat-row')).toContainText('Mike');
  const unexpected = harley.errors.filter((error) => !blocked.test(error) && !/^(TypeError: )?Failed to fetch/.test(error));
  expect(unexpected).toEqual([]);
});

test('links and the back button move within the running page: no reload, the address and the page agree', async ({ browser, server }) => {
  const harley = await person(browser);
  const mike = await person(browser);
  await signUp(mike.page, server, 'mike', 'Mike');
  await signUp(harley.page, server, 'harley', 'Harley');
  await startDirectChat(mike.page, 'harley');
  await send(mike.page, 'are you there?');
  const page = harley.page;
  await page.goto(server.url);
  await hydrated(page);
  // Anything a reload would lose: the page's own JavaScript state.
  await page.evaluate(() => ((window as any).sameDocument = true));
  const sameDocument = () => page.evaluate(() => (window as any).sameDocument === true);

  await page.getByTestId('chat-row').click();
  await expect(page).toHaveURL(/\/chats\/[0-9a-f-]+$/);
  await expect(bubble(page, 'are you there?')).toBeVisible();
  await page.getByRole('link', { name: 'Settings' }).click();
  await expect(page).toHaveURL(`${server.url}/account`);
  await expect(page.getByRole('heading', { name: 'Settings' })).toBeVisible();
  await page.goBack();
  await expect(page).toHaveURL(/\/chats\/[0-9a-f-]+$/);
  await expect(bubble(page, 'are you there?')).toBeVisible();
  await page.goBack();
  await expect(page).toHaveURL(`${server.url}/`);
  await expect(page.getByText('Pick a chat')).toBeVisible();
  await page.goForward();
  await expect(bubble(page, 'are you there?')).toBeVisible();
  expect(await sameDocument()).toBe(true);
  expect(harley.errors).toEqual([]);

  // An address that is no page of Parley's is the server's to answer.
  await page.goto(`${server.url}/nowhere`);
  await expect(page.getByText('Page not found.')).toBeVisible();
});
