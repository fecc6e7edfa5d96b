import AxeBuilder from '@axe-core/playwright';
import { Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { expect, test } from './fixtures';
import { person, signUp, startDirectChat } from './helpers';

/** A real picture: the page itself, as a PNG of `width` × `height`. */
async function picture(page: Page, width: number, height: number): Promise<Buffer> {
  return page.screenshot({ clip: { x: 0, y: 0, width, height } });
}

/** Drops `bytes` as a file called `name` onto the open conversation. */
async function dropFile(page: Page, name: string, type: string, bytes: Buffer) {
  const dataTransfer = await page.evaluateHandle(
    ({ name, type, data }) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(data)], name, { type }));
      return transfer;
    },
    { name, type, data: [...bytes] },
  );
  await page.dispatchEvent('[data-testid="conversation"]', 'dragover', { dataTransfer });
  await page.dispatchEvent('[data-testid="conversation"]', 'drop', { dataTransfer });
}

/** Records whether an upload's progress bar ever shows (it may be brief). */
async function watchForProgress(page: Page) {
  await page.evaluate(() => {
    (window as any).sawProgress = false;
    new MutationObserver(() => {
      if (document.querySelector('[data-testid="upload-progress"]')) (window as any).sawProgress = true;
    }).observe(document.body, { subtree: true, childList: true });
  });
}

async function audit(page: Page, what: string) {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  expect(results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`), `axe on ${what}`).toEqual([]);
}

test('Harley drops photos and sends a PDF; Mike sees them live, opens the viewer and downloads the file', async ({ browser, server }, testInfo) => {
  const harley = await person(browser);
  const mike = await person(browser);
  await signUp(mike.page, server, 'mike', 'Mike');
  await signUp(harley.page, server, 'harley', 'Harley');
  await startDirectChat(harley.page, 'mike');
  await mike.page.getByTestId('chat-row').click();
  const beach = await picture(harley.page, 640, 480);
  const hill = await picture(harley.page, 300, 500);

  // A drop: the tray shows the file going up, then ready; Send sends it.
  await watchForProgress(harley.page);
  await dropFile(harley.page, 'beach.png', 'image/png', beach);
  const tray = harley.page.getByRole('list', { name: 'Attachments' });
  await expect(tray.getByTestId('upload')).toContainText('beach.png');
  await expect(tray.getByTestId('upload')).toContainText('Ready');
  expect(await harley.page.evaluate(() => (window as any).sawProgress)).toBe(true);
  await audit(harley.page, 'the upload tray, light');
  await harley.page.emulateMedia({ colorScheme: 'dark' });
  await audit(harley.page, 'the upload tray, dark');
  await harley.page.getByRole('button', { name: 'Send' }).click();
  await expect(tray).toHaveCount(0);

  // Mike: the thumbnail arrives live, at its final size, and the list says what it is.
  const photo = mike.page.getByRole('button', { name: 'Open photo beach.png' });
  await expect(photo).toBeVisible();
  const thumbnail = photo.locator('img');
  await expect(thumbnail).toHaveAttribute('width', '320');
  await expect(thumbnail).toHaveAttribute('height', '240');
  await expect.poll(() => thumbnail.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(320);
  await expect(mike.page.getByTestId('chat-row')).toContainText('📷 Photo');

  // A second photo, picked with the paperclip, with a caption.
  await harley.page.getByTestId('file-input').setInputFiles({ name: 'hill.png', mimeType: 'image/png', buffer: hill });
  await expect(tray.getByTestId('upload')).toContainText('Ready');
  await harley.page.getByLabel('Message', { exact: true }).fill('And the hill');
  await harley.page.getByLabel('Message', { exact: true }).press('Enter');
  await expect(mike.page.getByRole('button', { name: 'Open photo hill.png' })).toBeVisible();

  // The viewer: full size, arrows move through the chat's photos, Escape closes.
  await mike.page.getByRole('button', { name: 'Open photo hill.png' }).click();
  const viewer = mike.page.getByRole('dialog', { name: /hill\.png/ });
  await expect(viewer).toBeVisible();
  await expect(viewer).toContainText('2 of 2');
  await expect.poll(() => viewer.locator('img').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(300);
  await audit(mike.page, 'the photo viewer, light');
  await mike.page.emulateMedia({ colorScheme: 'dark' });
  await audit(mike.page, 'the photo viewer, dark');
  await expect(viewer.getByRole('button', { name: 'Next photo' })).toBeDisabled();
  await mike.page.keyboard.press('ArrowLeft');
  await expect(mike.page.getByRole('dialog', { name: /beach\.png/ })).toContainText('1 of 2');
  await expect.poll(() => mike.page.getByRole('dialog').locator('img').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(640);
  await mike.page.screenshot({ path: testInfo.outputPath('viewer.png') });
  await expect(mike.page.getByRole('dialog').getByRole('button', { name: 'Next photo' })).toBeEnabled();
  await expect(mike.page.getByRole('dialog').getByRole('button', { name: 'Previous photo' })).toBeDisabled();
  await mike.page.keyboard.press('Escape');
  await expect(mike.page.getByRole('dialog')).toHaveCount(0);
  await expect(mike.page.getByRole('button', { name: 'Open photo hill.png' })).toBeFocused();

  // An image pasted into the composer goes up too.
  await harley.page.getByLabel('Message', { exact: true }).focus();
  await harley.page.evaluate((data) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([new Uint8Array(data)], 'pasted.png', { type: 'image/png' }));
    document.activeElement!.dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }));
  }, [...hill]);
  await expect(tray.getByTestId('upload')).toContainText('pasted.png');
  await expect(tray.getByTestId('upload')).toContainText('Ready');
  await harley.page.getByRole('button', { name: 'Remove pasted.png' }).click();
  await expect(tray).toHaveCount(0);

  // A file picked and then removed is never sent.
  await harley.page.getByTestId('file-input').setInputFiles({ name: 'oops.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\nnot this one') });
  await harley.page.getByRole('button', { name: 'Remove oops.pdf' }).click();
  await expect(tray).toHaveCount(0);

  // A PDF: a file bubble with its name and size; Mike downloads the same bytes.
  const minutes = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(20_000, 'x')]);
  await harley.page.getByTestId('file-input').setInputFiles({ name: 'minutes.pdf', mimeType: 'application/pdf', buffer: minutes });
  await expect(tray.getByTestId('upload')).toContainText('Ready');
  await harley.page.getByRole('button', { name: 'Send' }).click();
  const file = mike.page.getByTestId('file');
  await expect(file).toContainText('minutes.pdf');
  await expect(file).toContainText('21 KB');
  await expect(mike.page.getByTestId('chat-row')).toContainText('📎 minutes.pdf');
  await mike.page.screenshot({ path: testInfo.outputPath('conversation.png') });
  const [download] = await Promise.all([mike.page.waitForEvent('download'), file.click()]);
  expect(download.suggestedFilename()).toBe('minutes.pdf');
  expect(readFileSync(await download.path())).toEqual(minutes);
  await expect(mike.page.getByTestId('file')).toHaveCount(1);
  await expect(mike.page.getByText('oops.pdf')).toHaveCount(0);

  for (const who of [harley, mike]) {
    expect(who.errors).toEqual([]);
  }
});
