import { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { audit, person, send, signOut, signUp, startGroup } from './helpers';

async function auditBothSchemes(page: Page, what: string) {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    await audit(page, `${what}, ${colorScheme}`);
  }
  await page.emulateMedia({ colorScheme: null });
}

test('an admin makes an invite link; Sara, new here, signs up through it, joins and reads from her joining on', async ({ browser, server }) => {
  const harley = await person(browser);
  const sara = await person(browser);
  await signUp(harley.page, server, 'mike', 'Mike');
  await signOut(harley.page);
  await signUp(harley.page, server, 'harley', 'Harley');
  await startGroup(harley.page, 'Crew', 'mike');
  await send(harley.page, 'said before Sara came');

  await harley.page.getByRole('button', { name: 'Group info' }).click();
  const dialog = harley.page.getByRole('dialog');
  // A description first, formatted like a message: the link's page shows it.
  await dialog.getByLabel('Description').fill('Weekly *climbing*, bring shoes');
  await dialog.getByRole('button', { name: 'Save description' }).click();
  await expect(dialog.getByTestId('group-description').locator('strong')).toHaveText('climbing');
  await expect(harley.page.getByTestId('system-line').last()).toHaveText('You changed the group description');
  await dialog.getByRole('button', { name: 'Create link' }).click();
  const url = dialog.getByTestId('invite-url');
  await expect(url).toHaveValue(new RegExp(`/invite/[A-Za-z0-9_-]{43}$`));
  const link = await url.inputValue();
  await auditBothSchemes(harley.page, 'the group info with its invite link');
  await harley.page.keyboard.press('Escape');

  // Sara opens it signed out: sign up first, then the same page.
  await sara.page.goto(link);
  await expect(sara.page.getByRole('heading', { name: "You're invited to a group" })).toBeVisible();
  await expect(sara.page.getByText('Crew')).toHaveCount(0);
  await auditBothSchemes(sara.page, 'an invite link, signed out');
  await sara.page.getByRole('link', { name: 'Create an account' }).click();
  await sara.page.getByLabel('Username').fill('sara');
  await sara.page.getByLabel('Display name').fill('Sara');
  await sara.page.getByLabel('Password').fill('sara password');
  await sara.page.getByRole('button', { name: 'Sign up' }).click();
  await expect(sara.page).toHaveURL(link);
  await expect(sara.page.getByTestId('invite-group')).toHaveText('Crew');
  await expect(sara.page.getByTestId('invite-members')).toHaveText('2 members');
  await expect(sara.page.getByTestId('invite-description')).toHaveText('Weekly climbing, bring shoes');
  await expect(sara.page.getByTestId('invite-description').locator('strong')).toHaveText('climbing');
  await auditBothSchemes(sara.page, 'an invite link, signed in');

  await sara.page.getByRole('button', { name: 'Join group' }).click();
  await expect(sara.page).toHaveURL(/\/chats\//);
  await expect(sara.page.getByTestId('chat-title')).toHaveText('Crew');
  await expect(sara.page.getByTestId('system-line').last()).toHaveText("You joined using this group's invite link");
  // What was said before she joined is not hers to read.
  await expect(sara.page.getByTestId('message')).toHaveCount(0);
  await expect(harley.page.getByTestId('system-line').last()).toHaveText("Sara joined using this group's invite link");
  await expect(harley.page.getByTestId('chat-subtitle')).toHaveText('3 members');

  // Harley stops the link: it answers a clear page and 404.
  await harley.page.getByRole('button', { name: 'Group info' }).click();
  await dialog.getByRole('button', { name: 'Create link' }).click();
  await expect(dialog.getByTestId('invite-url')).not.toHaveValue(link);
  await dialog.getByRole('button', { name: 'Stop link' }).click();
  await expect(dialog.getByTestId('invite-url')).toHaveCount(0);
  const answer = await sara.page.goto(link);
  expect(answer?.status()).toBe(404);
  // (The browser logs the 404 it was just asked for.)
  const expected404 = (error: string) => error.includes('status of 404');
  await expect(sara.page.getByRole('heading', { name: "This invite link doesn't work" })).toBeVisible();
  await auditBothSchemes(sara.page, 'an invite link that stopped');
  expect(harley.errors).toEqual([]);
  expect(sara.errors.filter((error) => !expected404(error))).toEqual([]);
});
