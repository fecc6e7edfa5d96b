import { BrowserContext, Page } from '@playwright/test';
import { expect, hydrated, test } from './fixtures';
import { bubble, connectAs, person, send, signUp, startDirectChat, startGroup } from './helpers';

test('Harley finds an older message by a word and lands on it in context', async ({ browser, server }) => {
  const harley = await person(browser);
  const mike = await person(browser);
  await signUp(mike.page, server, 'mike', 'Mike');
  await signUp(harley.page, server, 'harley', 'Harley');
  await startDirectChat(harley.page, 'mike');
  await send(harley.page, 'Bring the Piñata to the party');
  await expect(bubble(harley.page, 'Bring the Piñata to the party')).toHaveAttribute('data-status', 'delivered');
  // Enough after it that it is no longer on the first page: Mike writes them
  // from a plain socket.io-client (the story is Harley's search, not typing).
  const chatId = harley.page.url().split('/chats/')[1];
  const socket = await connectAs(server, 'mike');
  for (let n = 1; n <= 60; n++) {
    const ack = await socket.timeout(30_000).emitWithAck('sendMessage', { chatId, clientId: `f-${n}`, body: `filler ${n}` });
    expect(ack.ok?.seq).toBe(n + 1);
  }
  socket.disconnect();
  await harley.page.goto(`${server.url}/`);
  await expect(harley.page.getByTestId('chat-row')).toBeVisible();
  // The list is in the first HTML; the search field works once the page runs.
  await hydrated(harley.page);

  // Case and accents do not matter; the word is matched by its start.
  await harley.page.getByLabel('Search messages').fill('pinat');
  const hit = harley.page.getByTestId('search-hit');
  await expect(hit).toHaveCount(1);
  await expect(hit.locator('mark')).toHaveText('Piñata');
  await hit.click();
  const found = bubble(harley.page, 'Bring the Piñata to the party');
  await expect(found).toBeFocused();
  await expect(found).toBeInViewport();
  // In context: what came right after it is there too.
  await expect(bubble(harley.page, 'filler 1')).toBeVisible();

  await harley.page.getByLabel('Search messages').fill('zebra');
  await expect(harley.page.getByText('No messages found.')).toBeVisible();
  expect(harley.errors).toEqual([]);
});

test('Mike mentions Harley in a group: picked from a list, highlighted, an "@" on her list', async ({ browser, server }) => {
  const harley = await person(browser);
  const mike = await person(browser);
  await signUp(harley.page, server, 'harley', 'Harley');
  await signUp(mike.page, server, 'mike', 'Mike');
  await startGroup(mike.page, 'Crew', 'harley');

  const composer = mike.page.getByLabel('Message', { exact: true });
  await composer.pressSequentially('thanks @har');
  const picker = mike.page.getByRole('listbox', { name: 'Mention someone' });
  // One option: her face (initials here) beside her name and username.
  const option = picker.getByRole('option');
  await expect(option).toHaveCount(1);
  await expect(option.locator('.member-name')).toHaveText('Harley');
  await expect(option.locator('.hint')).toHaveText('@harley');
  await expect(option.locator('.avatar')).toHaveText('H');
  await composer.press('Enter');
  // Typing on at once: nothing typed right after the pick is lost.
  await composer.pressSequentially('for the cake');
  await expect(composer).toHaveValue('thanks @harley for the cake');
  await composer.press('Enter');
  await expect(bubble(mike.page, 'thanks @harley for the cake').getByTestId('mention')).toHaveText('@harley');

  const row = harley.page.getByTestId('chat-row').filter({ hasText: 'Crew' });
  await expect(row.getByTestId('mention-badge')).toBeVisible();
  await row.click();
  await expect(bubble(harley.page, 'thanks @harley for the cake').getByTestId('mention')).toHaveClass(/me/);
  await expect(row.getByTestId('mention-badge')).toHaveCount(0);
  for (const who of [harley, mike]) {
    expect(who.errors).toEqual([]);
  }
});

/** Records notifications instead of showing them; clicking one is `onclick()`. */
async function recordNotifications(context: BrowserContext) {
  await context.grantPermissions(['notifications']);
  await context.addInitScript(() => {
    const notes: { title: string; body?: string; tag?: string; onclick: null | (() => void) }[] = [];
    (window as any).__notes = notes;
    class Recorded {
      title: string;
      body?: string;
      tag?: string;
      onclick: null | (() => void) = null;
      static get permission() {
        return 'granted';
      }
      static requestPermission() {
        return Promise.resolve('granted');
      }
      constructor(title: string, options?: { body?: string; tag?: string }) {
        this.title = title;
        this.body = options?.body;
        this.tag = options?.tag;
        notes.push(this);
      }
      close() {}
    }
    (window as any).Notification = Recorded;
  });
}

const notes = (page: Page) =>
  page.evaluate(() => (window as any).__notes.map((n: any) => ({ title: n.title, body: n.body })));

test('a message for a chat not on screen raises one notification across two tabs; clicking opens it', async ({ browser, server }) => {
  const harley = await person(browser);
  const mike = await person(browser);
  const sara = await person(browser);
  await recordNotifications(harley.context);
  await signUp(mike.page, server, 'mike', 'Mike');
  await signUp(sara.page, server, 'sara', 'Sara');
  await signUp(harley.page, server, 'harley', 'Harley');
  await startDirectChat(mike.page, 'harley');
  await send(mike.page, 'first hello');
  // Harley has no chat open: told at once.
  await expect.poll(() => notes(harley.page)).toEqual([{ title: 'Mike', body: 'first hello' }]);
  await harley.page.evaluate(() => ((window as any).__notes.length = 0));
  await startDirectChat(harley.page, 'sara');
  const secondTab = await harley.context.newPage();
  await secondTab.goto(`${server.url}/`);
  await expect(secondTab.getByTestId('chat-row')).toHaveCount(2);
  await expect(secondTab.locator('html')).toHaveAttribute('data-hydrated', '');

  // Harley looks at Sara's chat; Mike writes.
  await send(mike.page, 'Lunch at noon?\nOr one?');
  await expect(secondTab.getByTestId('chat-row').filter({ hasText: 'Mike' })).toContainText('Lunch at noon?');
  await expect(harley.page.getByTestId('chat-row').filter({ hasText: 'Mike' })).toContainText('Lunch at noon?');
  await expect
    .poll(async () => [...(await notes(harley.page)), ...(await notes(secondTab))])
    .toEqual([{ title: 'Mike', body: 'Lunch at noon?' }]);
  // The tab's icon has a dot while something is unread.
  await expect(harley.page.locator('link[rel=icon]')).toHaveAttribute('href', '/favicon-unread.svg');

  const withNote = (await notes(harley.page)).length === 1 ? harley.page : secondTab;
  await withNote.evaluate(() => (window as any).__notes[0].onclick());
  await expect(withNote).toHaveURL(/\/chats\//);
  await expect(bubble(withNote, 'first hello')).toBeVisible();
  await expect(withNote.getByTestId('chat-title')).toHaveText('Mike');
  for (const who of [harley, mike, sara]) {
    expect(who.errors).toEqual([]);
  }
});

test('notifications are asked for only on a click', async ({ browser, server }) => {
  const harley = await person(browser);
  await signUp(harley.page, server, 'harley', 'Harley');
  const prompt = harley.page.getByTestId('notify-prompt');
  await expect(prompt).toBeVisible();
  await prompt.getByRole('button', { name: 'Not now' }).click();
  await expect(prompt).toHaveCount(0);
  expect(harley.errors).toEqual([]);
});
