import { expect, test } from './fixtures';
import { hydrated } from './fixtures';
import { person, send, signUp, startDirectChat } from './helpers';

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
  await noScript.close();

  // With it: the row is in the first paint and stays through hydration.
  await harley.page.addInitScript(() => {
    const w = window as any;
    w.__rowSeen = false;
    w.__rowLost = false;
    const watch = () => {
      const rows = document.querySelectorAll('[data-testid="chat-row"]').length;
      if (rows > 0) w.__rowSeen = true;
      else if (w.__rowSeen) w.__rowLost = true;
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
  for (const who of [harley, mike]) {
    expect(who.errors).toEqual([]);
  }
});
