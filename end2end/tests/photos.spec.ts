import { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { audit, person, send, signUp, startDirectChat, startGroup } from './helpers';

async function auditBothSchemes(page: Page, what: string) {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    await audit(page, `${what}, ${colorScheme}`);
  }
  await page.emulateMedia({ colorScheme: null });
}

/** A real picture to upload: a PNG of part of the page. */
async function aPicture(page: Page, width: number, height: number) {
  return {
    name: 'me.png',
    mimeType: 'image/png',
    buffer: await page.screenshot({ clip: { x: 0, y: 0, width, height } }),
  };
}

/** The avatar picture inside `scope` has loaded, at `width` pixels. */
async function expectLoaded(image: ReturnType<Page['locator']>, width: number) {
  await expect(image).toBeVisible();
  await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(width);
}

test('Harley sets a profile photo and Mike sees her face in his chat list; a group photo is set with its line', async ({ browser, server }) => {
  const harley = await person(browser);
  const mike = await person(browser);
  await signUp(mike.page, server, 'mike', 'Mike');
  await signUp(harley.page, server, 'harley', 'Harley');
  await startDirectChat(harley.page, 'mike');
  await send(harley.page, 'hello Mike');

  // Harley, in her settings: initials until she picks a photo.
  await harley.page.getByRole('link', { name: 'Settings' }).click();
  const picker = harley.page.getByTestId('photo-picker');
  await expect(picker.locator('img')).toHaveCount(0);
  await expect(picker.locator('.avatar')).toHaveText('H');
  await picker.getByTestId('photo-input').setInputFiles(await aPicture(harley.page, 600, 400));
  const mine = picker.locator('img');
  await expect(mine).toHaveAttribute('src', /^\/api\/users\/[0-9a-f-]{36}\/photos\/[0-9a-f]{32}$/);
  // The centred square, at most 512: 400 × 400.
  await expectLoaded(mine, 400);
  await expect(picker.getByTestId('photo-remove')).toBeVisible();
  await auditBothSchemes(harley.page, 'the settings with a profile photo');
  const url = await mine.getAttribute('src');

  // Mike's list shows her face (the small size) where her initials were.
  await mike.page.reload();
  const row = mike.page.getByTestId('chat-row').filter({ hasText: 'Harley' });
  const face = row.locator('.avatar img');
  await expect(face).toHaveAttribute('src', `${url}?size=small`);
  await expectLoaded(face, 96);
  await expect(row.locator('.avatar')).not.toContainText('H');
  await auditBothSchemes(mike.page, 'the chat list with a photo');

  // A group photo, by its admin: a line for everyone, the face in the header.
  await harley.page.goto(`${server.url}/`);
  await startGroup(harley.page, 'Crew', 'mike');
  await harley.page.getByRole('button', { name: 'Group info' }).click();
  const dialog = harley.page.getByRole('dialog');
  await dialog.getByTestId('photo-input').setInputFiles(await aPicture(harley.page, 300, 300));
  await expect(harley.page.getByTestId('system-line').last()).toHaveText('You changed the group photo');
  await expectLoaded(dialog.getByTestId('photo-picker').locator('img'), 300);
  await auditBothSchemes(harley.page, 'the group info with its photo');
  await harley.page.keyboard.press('Escape');
  await expectLoaded(harley.page.locator('.conversation-bar .avatar img'), 96);

  await mike.page.getByTestId('chat-row').filter({ hasText: 'Crew' }).click();
  await expect(mike.page.getByTestId('system-line').last()).toHaveText('Harley changed the group photo');
  await expectLoaded(mike.page.locator('.conversation-bar .avatar img'), 96);
  // Beside Harley's bubbles in the group: her face.
  await send(harley.page, 'photos are in');
  await expectLoaded(mike.page.locator('.bubble-row').filter({ hasText: 'photos are in' }).locator('.avatar img'), 96);

  // She takes hers away: initials again for Mike.
  await harley.page.goto(`${server.url}/account`);
  await harley.page.getByTestId('photo-remove').click();
  await expect(harley.page.getByTestId('photo-picker').locator('img')).toHaveCount(0);
  await mike.page.goto(`${server.url}/`);
  await expect(mike.page.getByTestId('chat-row').filter({ hasText: 'Harley' }).locator('.avatar')).toHaveText('H');

  expect(harley.errors).toEqual([]);
  expect(mike.errors).toEqual([]);
});
