import { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { audit, bubble, messageAction, person, send, signUp, startDirectChat, startGroup } from './helpers';
import { hydrated } from './fixtures';

for (const scheme of ['light', 'dark'] as const) {
  test(`no axe violations anywhere a person goes, ${scheme}`, async ({ browser, server }) => {
    const harley = await person(browser);
    const mike = await person(browser);
    for (const { page } of [harley, mike]) {
      await page.emulateMedia({ colorScheme: scheme });
    }
    await harley.page.goto(`${server.url}/login`);
    await audit(harley.page, 'sign-in');
    await harley.page.goto(`${server.url}/signup`);
    await audit(harley.page, 'sign-up');

    await signUp(mike.page, server, 'mike', 'Mike');
    await signUp(harley.page, server, 'harley', 'Harley');
    await audit(harley.page, 'the empty chat list');
    await harley.page.getByRole('button', { name: 'New chat' }).click();
    await expect(harley.page.getByRole('dialog')).toBeVisible();
    await audit(harley.page, 'the new-chat dialog');
    await harley.page.keyboard.press('Escape');

    await startDirectChat(harley.page, 'mike');
    await send(harley.page, 'Hi Mike!');
    await mike.page.getByTestId('chat-row').click();
    await send(mike.page, 'Hello Harley');
    await expect(bubble(harley.page, 'Hello Harley')).toBeVisible();
    await expect(bubble(harley.page, 'Hi Mike!')).toHaveAttribute('data-status', 'seen');
    await send(harley.page, 'Both ticks, please');
    await audit(harley.page, 'a conversation, wide');
    await harley.page.getByRole('button', { name: 'Contact info' }).click();
    await expect(harley.page.getByRole('dialog')).toBeVisible();
    await audit(harley.page, 'the contact dialog');
    await harley.page.keyboard.press('Escape');
    await harley.page.getByRole('button', { name: 'Options for Mike' }).click();
    await expect(harley.page.getByRole('menuitem', { name: 'Pin' })).toBeFocused();
    await audit(harley.page, 'a chat row menu');
    await harley.page.keyboard.press('Escape');

    await startGroup(harley.page, 'Crew', 'mike');
    await send(harley.page, 'Hello crew');
    await harley.page.getByLabel('Message', { exact: true }).pressSequentially('@mi');
    await expect(harley.page.getByRole('listbox', { name: 'Mention someone' })).toBeVisible();
    await audit(harley.page, 'the mention picker');
    await harley.page.getByLabel('Message', { exact: true }).press('Escape');
    await harley.page.getByLabel('Message', { exact: true }).fill('');
    await harley.page.getByLabel('Search messages').fill('crew');
    await expect(harley.page.getByTestId('search-hit')).toHaveCount(1);
    await audit(harley.page, 'search results');
    await harley.page.getByLabel('Search messages').fill('');
    await harley.page.getByRole('button', { name: 'Group info' }).click();
    await harley.page.getByRole('dialog').getByLabel('Add people (usernames)').fill('nobody-here');
    await harley.page.getByRole('dialog').getByRole('button', { name: 'Add', exact: true }).click();
    await expect(harley.page.getByRole('dialog').getByRole('alert')).toContainText('nobody-here');
    await audit(harley.page, 'the group info dialog with an error');
    await harley.page.keyboard.press('Escape');
    await harley.page.getByRole('link', { name: 'Settings' }).click();
    await expect(harley.page.getByTestId('read-receipts')).toBeEnabled();
    await audit(harley.page, 'the settings page');
    await harley.page.goBack();

    await harley.page.setViewportSize({ width: 390, height: 844 });
    await audit(harley.page, 'a conversation, phone width');
    await harley.page.goto(`${server.url}/`);
    await expect(harley.page.getByTestId('chat-row')).toHaveCount(2);
    await audit(harley.page, 'the chat list, phone width');
  });
}

/** Whether focus is inside the open dialog. */
async function focusInDialog(page: Page): Promise<boolean> {
  return page.evaluate(() => document.activeElement?.closest('dialog[open]') != null);
}

test('dialogs by keyboard: focus moves in, stays in, Escape closes, focus comes back', async ({ browser, server }) => {
  const harley = await person(browser);
  const mike = await person(browser);
  await signUp(mike.page, server, 'mike', 'Mike');
  await signUp(harley.page, server, 'harley', 'Harley');
  const page = harley.page;

  // New chat: focus lands on the username field and Tab cycles inside.
  const newChat = page.getByRole('button', { name: 'New chat' });
  await newChat.focus();
  await page.keyboard.press('Enter');
  await expect(page.getByLabel('Username')).toBeFocused();
  for (let n = 0; n < 8; n++) {
    await page.keyboard.press('Tab');
    expect(await focusInDialog(page), `after ${n + 1} × Tab`).toBe(true);
  }
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await expect(newChat).toBeFocused();

  // A message's menu: opened from ⋯ by keyboard, Escape gives focus back.
  await startDirectChat(page, 'mike');
  await send(page, 'Hi Mike!');
  const row = page.locator('.bubble-row').filter({ has: bubble(page, 'Hi Mike!') });
  const actions = row.getByRole('button', { name: 'Message actions' });
  await actions.focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('menuitem', { name: 'Reply' })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(page.getByRole('menu')).toHaveCount(0);
  await expect(actions).toBeFocused();

  // Delete asks first; the dialog starts on Cancel, Escape keeps the message.
  await page.keyboard.press('Enter');
  await page.getByRole('menuitem', { name: 'Delete' }).focus();
  await page.keyboard.press('Enter');
  const confirm = page.getByRole('alertdialog', { name: 'Delete message?' });
  await expect(confirm).toBeVisible();
  await expect(confirm.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(confirm).toHaveCount(0);
  await expect(actions).toBeFocused();
  await expect(bubble(page, 'Hi Mike!')).toBeVisible();

  // The message list takes focus (to scroll by keyboard), and each message
  // says who wrote it and, for one's own, how far it got.
  const list = page.getByRole('log', { name: 'Messages' });
  await list.focus();
  await expect(list).toBeFocused();
  await expect(bubble(page, 'Hi Mike!').locator('.visually-hidden')).toHaveText('You:');
  await expect(bubble(page, 'Hi Mike!').getByRole('img', { name: 'Delivered' })).toBeVisible();
  await mike.page.getByTestId('chat-row').click();
  await expect(bubble(mike.page, 'Hi Mike!').locator('.visually-hidden')).toHaveText('Harley:');
  await expect(bubble(page, 'Hi Mike!').getByRole('img', { name: 'Seen' })).toBeVisible();
});

test('a message and a chat row read as words, styled or not: never "9 pmedited"', async ({ browser, server }) => {
  const harley = await person(browser);
  const mike = await person(browser);
  await signUp(mike.page, server, 'mike', 'Mike');
  await signUp(harley.page, server, 'harley', 'Harley');
  await startDirectChat(harley.page, 'mike');
  await send(harley.page, 'Dinner at 9?');
  await mike.page.getByTestId('chat-row').click();
  await send(mike.page, 'Yes, 8 pm');
  await messageAction(mike.page, 'Yes, 8 pm', 'Edit');
  await mike.page.getByLabel('Message', { exact: true }).fill('Yes, 9 pm');
  await mike.page.getByLabel('Message', { exact: true }).press('Enter');
  await expect(bubble(mike.page, 'Yes, 9 pm').getByTestId('edited')).toBeVisible();
  await expect(bubble(mike.page, 'Yes, 9 pm')).toHaveAttribute('data-status', 'seen');

  // Read as a screen reader is given it: with the stylesheet, and without it
  // (a reader view, a stylesheet that did not load), where every part is inline.
  const page = mike.page;
  const words = async () => {
    const mine = bubble(page, 'Yes, 9 pm');
    const time = await mine.locator('time').textContent();
    const row = page.getByTestId('chat-row');
    const rowTime = await row.locator('time').textContent();
    return {
      bubble: (await mine.ariaSnapshot()).trim(),
      expectedBubble: `- text: "You: Yes, 9 pm edited"\n- time: ${time}\n- img "Seen"`,
      rowName: `online Harley ${rowTime} Seen Yes, 9 pm`,
    };
  };
  for (const styled of [true, false]) {
    if (!styled) {
      await page.route(/\.css$/, (route) => route.abort());
      await page.reload();
      await hydrated(page);
      expect(await page.locator('.chats').evaluate((chats) => getComputedStyle(chats).display)).toBe('block');
    }
    const read = await words();
    // Not "You:Yes, 9 pmedited" and "onlineHarley14:57SeenYes, 9 pm", as
    // they read unstyled with nothing between the parts.
    expect(read.bubble, styled ? 'styled' : 'unstyled').toBe(read.expectedBubble);
    await expect(page.getByTestId('chat-row'), styled ? 'styled' : 'unstyled').toHaveAccessibleName(read.rowName);
  }
});
