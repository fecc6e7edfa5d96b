import AxeBuilder from '@axe-core/playwright';
import { expect, test } from './fixtures';
import { hydrated } from './fixtures';
import { connectAs, person, signUp } from './helpers';

const GROUPS = 45;
const name = (n: number) => `g${String(n).padStart(2, '0')}`;

test('a long chat list comes a page at a time: by scrolling, by keyboard, and news from far down comes to the top', async ({ browser, server }) => {
  const harley = await person(browser);
  const mike = await person(browser);
  await signUp(mike.page, server, 'mike', 'Mike');
  await signUp(harley.page, server, 'harley', 'Harley');
  const socket = await connectAs(server, 'mike');
  const groups: string[] = [];
  for (let n = 0; n < GROUPS; n++) {
    const ack = await socket.timeout(30_000).emitWithAck('createChat', { kind: 'group', name: name(n), members: ['harley'] });
    expect(ack.ok, JSON.stringify(ack)).toBeTruthy();
    groups.push(ack.ok.id);
  }

  // The first page: the twenty newest, and the way to the rest.
  const page = harley.page;
  await page.goto(`${server.url}/`);
  await hydrated(page);
  const rows = page.getByTestId('chat-rows-main').getByTestId('chat-row');
  const more = page.getByRole('button', { name: 'Show more chats' });
  await expect(rows).toHaveCount(20);
  await expect(rows.first()).toContainText(name(44));
  await expect(more).toBeVisible();
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    expect(results.violations.map((v) => v.id), `axe on a long chat list, ${scheme}`).toEqual([]);
  }

  // News in the oldest group, not loaded yet: it comes to the top.
  const ack = await socket.timeout(30_000).emitWithAck('sendMessage', { chatId: groups[0], clientId: 'far-down', body: 'anyone still here?' });
  expect(ack.ok, JSON.stringify(ack)).toBeTruthy();
  await expect(rows.first()).toContainText('anyone still here?');
  await expect(rows.first()).toContainText(name(0));

  // The next page by keyboard (on a window tall enough for the whole list
  // so far: reaching the button by focus does not scroll, which would load
  // the page by itself)…
  await page.setViewportSize({ width: 1280, height: 2400 });
  await more.focus();
  await page.keyboard.press('Enter');
  await expect(rows).toHaveCount(41);
  // …and the last by scrolling to the end: every chat once, then no button.
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.getByTestId('chat-rows-main').evaluate((list) => list.scrollTo(0, list.scrollHeight));
  await expect(rows).toHaveCount(GROUPS);
  await expect(more).toHaveCount(0);
  for (const n of [0, 1, 25, 44]) {
    await expect(rows.filter({ hasText: name(n) }), name(n)).toHaveCount(1);
  }
  await expect(rows.last()).toContainText(name(1));
  socket.disconnect();
});
