import AxeBuilder from '@axe-core/playwright';
import { Page } from '@playwright/test';
import { expect, hydrated, test } from './fixtures';
import { person, signUp } from './helpers';

/** Every WCAG 2.1 A/AA rule axe-core knows, in light and in dark. */
async function auditBothSchemes(page: Page, what: string) {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    const violations = results.violations.map(
      (v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => `${n.target.join(' ')} — ${n.failureSummary}`).join(' | ')}`,
    );
    expect(violations, `axe on ${what}, ${colorScheme}`).toEqual([]);
  }
  await page.emulateMedia({ colorScheme: null });
}

test('an admin runs the instance from the Admin page', async ({ browser, server }, testInfo) => {
  const harley = await person(browser);
  const mike = await person(browser);
  const sara = await person(browser);

  // The first account is the admin: the chat list leads to the Admin page.
  await signUp(harley.page, server, 'harley', 'Harley');
  await signUp(mike.page, server, 'mike', 'Mike');
  await expect(mike.page.getByRole('link', { name: 'Admin' })).toHaveCount(0);
  await harley.page.getByRole('link', { name: 'Admin' }).click();
  await expect(harley.page).toHaveURL(`${server.url}/admin`);
  await hydrated(harley.page);
  await expect(harley.page.getByTestId('figure-people')).toHaveText('2');
  await auditBothSchemes(harley.page, 'the Admin page');

  // Deactivating Mike ends his open page: it goes to the sign-in page, saying why.
  const page = harley.page;
  await page.getByLabel('Search people').fill('mik');
  await page.getByRole('button', { name: 'Search' }).click();
  const row = page.getByTestId('person-mike');
  await expect(row).toContainText('Active');
  await expect(page.getByTestId('person-harley')).toHaveCount(0);
  await row.getByRole('button', { name: 'Deactivate mike' }).click();
  await expect(page.getByTestId('admin-done')).toHaveText('Deactivated: their sessions have ended.');
  await expect(page.getByTestId('person-mike')).toContainText('Deactivated');
  await expect(mike.page).toHaveURL(`${server.url}/login?ended=deactivated`);
  await expect(mike.page.getByTestId('session-ended')).toHaveText('Your account has been deactivated.');
  await mike.page.getByLabel('Username').fill('mike');
  await mike.page.getByLabel('Password').fill('mike password');
  await mike.page.getByRole('button', { name: 'Sign in' }).click();
  await expect(mike.page.getByRole('alert')).toContainText('This account has been deactivated.');

  // Sign-up by invitation: without a link the page says so; with one, it works once.
  await page.getByLabel('Only with an invitation link').check();
  await page.getByRole('button', { name: 'Save sign-up setting' }).click();
  await expect(page.getByTestId('admin-done')).toHaveText('Sign-up setting saved.');
  await page.getByLabel('Uses').fill('1');
  await page.getByRole('button', { name: 'Create invitation link' }).click();
  await expect(page.getByTestId('admin-done')).toHaveText('Invitation link created.');
  const invitation = page.getByTestId('invitation').first();
  await expect(invitation).toHaveAttribute('data-state', 'open');
  const link = await invitation.getByLabel('Invitation link').inputValue();
  expect(link).toMatch(new RegExp(`^${server.url}/join/[A-Za-z0-9_-]+$`));

  await sara.page.goto(`${server.url}/signup`);
  await expect(sara.page.getByTestId('signup-closed')).toContainText('Sign-up here is by invitation.');
  await expect(sara.page.getByLabel('Password')).toHaveCount(0);
  await sara.page.goto(link);
  await sara.page.getByLabel('Username').fill('sara');
  await sara.page.getByLabel('Display name').fill('Sara');
  await sara.page.getByLabel('Password').fill('sara password');
  await sara.page.getByRole('button', { name: 'Sign up' }).click();
  await expect(sara.page.getByTestId('me-name')).toHaveText('Sara');
  const spent = await person(browser);
  await spent.page.goto(link);
  await expect(spent.page.getByTestId('signup-closed')).toContainText('expired, used up or revoked');
  await auditBothSchemes(spent.page, 'a spent invitation');

  // A password-reset link, opened by Sara: a new password, then signing in with it.
  await page.goto(`${server.url}/admin?query=sara`);
  await page.getByTestId('person-sara').getByRole('button', { name: 'Reset link for sara' }).click();
  const resetLink = await page.getByTestId('reset-link').inputValue();
  expect(resetLink).toMatch(new RegExp(`^${server.url}/reset/[A-Za-z0-9_-]+$`));
  await spent.page.goto(resetLink);
  await auditBothSchemes(spent.page, 'the reset page');
  await spent.page.getByLabel('New password').fill('sara new password');
  await spent.page.getByRole('button', { name: 'Set password' }).click();
  await expect(spent.page.getByTestId('session-ended')).toHaveText('Your new password is set. Sign in with it.');
  await spent.page.getByLabel('Username').fill('sara');
  await spent.page.getByLabel('Password').fill('sara new password');
  await spent.page.getByRole('button', { name: 'Sign in' }).click();
  await expect(spent.page.getByTestId('me-name')).toHaveText('Sara');

  // The audit trail says who did what to whom, newest first.
  await page.goto(`${server.url}/admin`);
  await page.screenshot({ path: testInfo.outputPath('admin-page.png'), fullPage: true });
  const trail = page.getByTestId('audit-trail').getByRole('listitem');
  await expect(trail).toHaveCount(4);
  await expect(trail.nth(0)).toContainText('harley made a password-reset link for sara');
  await expect(trail.nth(3)).toContainText('harley deactivated mike');
  expect([...harley.errors, ...mike.errors, ...sara.errors, ...spent.errors]).toEqual([]);
});
