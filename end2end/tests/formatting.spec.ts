import { Locator, Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { audit, bubble, person, send, signIn, signOut, signUp, startDirectChat } from './helpers';

/** A message with every kind of formatting, and words that must stay words. */
const BODY = [
  'Plan for *Friday*: see https://example.com/wiki/Link_(film). _Bring_ ~nothing~ `snake_case`',
  '> quoted line',
  '- one',
  '- two',
  '```',
  'let *x* = 1;',
  '```',
  '@mike not javascript:alert(1) nor example.org',
].join('\n');

/**
 * An element's contents as a reader's browser holds them: elements with
 * their attributes (in name order: the order they were set in is no
 * difference) and text; hydration's markers (comments) left out.
 */
function drawn(locator: Locator): Promise<string> {
  return locator.evaluate((root) => {
    const walk = (node: Node): string => {
      if (node.nodeType === Node.TEXT_NODE) return JSON.stringify(node.textContent);
      if (node.nodeType !== Node.ELEMENT_NODE) return '';
      const element = node as Element;
      const attributes = [...element.attributes]
        .map((a) => `${a.name}=${JSON.stringify(a.value)}`)
        .sort()
        .join(' ');
      return `<${element.tagName} ${attributes}>${[...element.childNodes].map(walk).join('')}</${element.tagName}>`;
    };
    // Adjacent text nodes read as one.
    root.normalize();
    return [...root.childNodes].map(walk).join('');
  });
}

async function auditBothSchemes(page: Page, what: string) {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    await audit(page, `${what}, ${colorScheme}`);
  }
  await page.emulateMedia({ colorScheme: null });
}

test('Harley sends a link and *bold*: Mike sees a link he can open and bold text, the same before and after hydration', async ({ browser, server }) => {
  const harley = await person(browser);
  const mike = await person(browser);
  await signUp(mike.page, server, 'mike', 'Mike');
  await signOut(mike.page);
  await signUp(harley.page, server, 'harley', 'Harley');
  await startDirectChat(harley.page, 'mike');
  await send(harley.page, BODY);
  await expect(harley.page.getByTestId('message')).toHaveAttribute('data-status', 'sent');

  await signIn(mike.page, server, 'mike');
  // The chat list's line: the words, no markers.
  const row = mike.page.getByTestId('chat-row');
  await expect(row).toContainText('Plan for Friday: see https://example.com/wiki/Link_(film). Bring nothing snake_case');
  await row.click();
  const body = mike.page.getByTestId('message-body');
  await expect(body).toHaveCount(1);

  const link = body.getByRole('link');
  await expect(link).toHaveCount(1);
  await expect(link).toHaveText('https://example.com/wiki/Link_(film)');
  await expect(link).toHaveAttribute('href', 'https://example.com/wiki/Link_(film)');
  await expect(link).toHaveAttribute('target', '_blank');
  await expect(link).toHaveAttribute('rel', 'noopener noreferrer nofollow');
  await expect(body.locator('strong')).toHaveText('Friday');
  await expect(body.locator('em')).toHaveText('Bring');
  await expect(body.locator('s')).toHaveText('nothing');
  await expect(body.locator('p code')).toHaveText('snake_case');
  await expect(body.locator('blockquote')).toHaveText('quoted line');
  await expect(body.locator('ul > li')).toHaveText(['one', 'two']);
  await expect(body.locator('pre')).toHaveText('let *x* = 1;');
  await expect(body.getByTestId('mention')).toHaveText('@mike');

  // The link opens, in a tab of its own (the address answered here: no network).
  await mike.context.route('https://example.com/**', (route) =>
    route.fulfill({ contentType: 'text/html', body: '<title>Link (film)</title>' }),
  );
  const opened = mike.context.waitForEvent('page');
  await link.click();
  const tab = await opened;
  await expect(tab).toHaveURL('https://example.com/wiki/Link_(film)');
  await expect(tab).toHaveTitle('Link (film)');
  await tab.close();

  // The server's page draws the same elements the running page does.
  const hydratedHtml = await drawn(body);
  const noScript = await browser.newContext({
    javaScriptEnabled: false,
    storageState: await mike.context.storageState(),
  });
  const served = await noScript.newPage();
  await served.goto(mike.page.url());
  const servedBody = served.getByTestId('message-body');
  await expect(servedBody).toHaveCount(1);
  expect(await drawn(servedBody)).toBe(hydratedHtml);
  await noScript.close();

  await auditBothSchemes(mike.page, 'a formatted message');
  expect(harley.errors).toEqual([]);
  expect(mike.errors).toEqual([]);
});

test('Ctrl+B and Ctrl+I wrap the selection in markers, a hint says how, and a short chat sits above the composer', async ({ browser, server }) => {
  const harley = await person(browser);
  await signUp(harley.page, server, 'mike', 'Mike');
  await signOut(harley.page);
  await signUp(harley.page, server, 'harley', 'Harley');
  await startDirectChat(harley.page, 'mike');

  const composer = harley.page.getByLabel('Message', { exact: true });
  const hint = harley.page.getByTestId('composer-hint');
  // Only read to screen readers (with the message box) until there is
  // something to format.
  await expect(hint).toHaveClass(/visually-hidden/);
  await composer.fill('make this loud');
  await expect(hint).not.toHaveClass(/visually-hidden/);
  await expect(hint).toBeVisible();
  await expect(hint).toContainText('*bold*');
  await composer.press('End');
  for (let i = 0; i < 'loud'.length; i++) await composer.press('Shift+ArrowLeft');
  await composer.press('Control+b');
  await expect(composer).toHaveValue('make this *loud*');
  await composer.press('Control+a');
  await composer.press('Control+i');
  await expect(composer).toHaveValue('_make this *loud*_');
  await auditBothSchemes(harley.page, 'the composer with its hint');
  await composer.press('Enter');

  const sent = bubble(harley.page, 'make this loud');
  await expect(sent).toHaveAttribute('data-status', 'sent');
  await expect(sent.locator('em strong')).toHaveText('loud');
  await expect(hint).toHaveClass(/visually-hidden/);

  // One message: just above the composer, not at the top of an empty pane.
  const bubbleBox = await sent.boundingBox();
  const composerBox = await harley.page.locator('form.composer').boundingBox();
  const pane = await harley.page.locator('.messages').boundingBox();
  expect(bubbleBox && composerBox && pane).toBeTruthy();
  expect(pane!.height).toBeGreaterThan(4 * bubbleBox!.height);
  expect(composerBox!.y - (bubbleBox!.y + bubbleBox!.height)).toBeLessThan(2 * bubbleBox!.height);
  expect(harley.errors).toEqual([]);
});
