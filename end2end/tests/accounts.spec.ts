import { Browser } from '@playwright/test';
import { test, expect, hydrated, ParleyServer, watchForPageErrors } from './fixtures';
import { signIn, signOut, signUp } from './helpers';

test('a person signs up, sees their chat list, signs out and signs in again', async ({ page, server }, testInfo) => {
  const pageErrors = await watchForPageErrors(page);

  await page.goto(`${server.url}/signup`);
  await hydrated(page);
  await page.getByLabel('Username').fill('harley');
  await page.getByLabel('Display name').fill('Harley Quinn');
  await page.getByLabel('Password').fill('correct horse');
  await page.getByRole('button', { name: 'Sign up' }).click();

  await expect(page).toHaveURL(`${server.url}/`);
  await expect(page.getByTestId('me-name')).toHaveText('Harley Quinn');
  await expect(page.getByText('No chats yet')).toBeVisible();
  await hydrated(page);
  await page.screenshot({ path: testInfo.outputPath('chat-list.png'), fullPage: true });

  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(page).toHaveURL(`${server.url}/login?ended=signed_out`);
  await expect(page.getByTestId('session-ended')).toHaveText('You have been signed out.');

  // A wrong password is refused with a message, and the username stays filled in.
  await page.getByLabel('Username').fill('harley');
  await page.getByLabel('Password').fill('wrong password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toHaveText('Wrong username or password.');
  await expect(page.getByLabel('Username')).toHaveValue('harley');
  await page.screenshot({ path: testInfo.outputPath('login-error.png'), fullPage: true });

  await page.getByLabel('Password').fill('correct horse');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(`${server.url}/`);
  await expect(page.getByTestId('me-name')).toHaveText('Harley Quinn');

  expect(pageErrors).toEqual([]);
});

test('the sign-in forms work before the WebAssembly has loaded', async ({ browser, server }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`${server.url}/signup`);
  await page.getByLabel('Username').fill('mike');
  await page.getByLabel('Password').fill('mike password');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page.getByTestId('me-name')).toHaveText('mike');
  await context.close();
});

test('signing up with a taken username says so', async ({ page, server }) => {
  for (const attempt of [1, 2]) {
    await page.goto(`${server.url}/signup`);
    await page.getByLabel('Username').fill('sara');
    await page.getByLabel('Password').fill('sara password');
    await page.getByRole('button', { name: 'Sign up' }).click();
    if (attempt === 1) {
      await expect(page.getByTestId('me-name')).toHaveText('sara');
      // Wait for the sign-in page: signing out navigates there (and the
      // ended session's socket says so too), which must not race the next goto.
      await signOut(page);
    }
  }
  await expect(page.getByRole('alert')).toHaveText('That username is taken. Try another.');
});

test('pages carry a strict Content-Security-Policy and still hydrate under it', async ({ page, server }) => {
  const errors = await watchForPageErrors(page);
  const response = await page.goto(`${server.url}/signup`);
  const headers = response!.headers();
  expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
  expect(headers['content-security-policy']).not.toContain('unsafe-inline');
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['referrer-policy']).toBe('same-origin');
  await hydrated(page);
  await page.getByLabel('Username').fill('harley');
  await page.getByLabel('Password').fill('correct horse');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page.getByTestId('me-name')).toHaveText('harley');
  await hydrated(page);
  // The live page connected (its socket is allowed too): the chat list loaded.
  await expect(page.getByText('No chats yet')).toBeVisible();
  await expect(page.getByTestId('connection')).toHaveCount(0);
  expect(errors).toEqual([]);
});

test('signing out in one tab sends the other tab of the same session to the sign-in page', async ({ browser, server }, testInfo) => {
  const context = await browser.newContext();
  const first = await context.newPage();
  await signUp(first, server, 'harley', 'Harley');

  const second = await context.newPage();
  await second.goto(`${server.url}/`);
  await hydrated(second);
  await expect(second.getByTestId('connection')).toHaveCount(0);

  await first.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(first).toHaveURL(`${server.url}/login?ended=signed_out`);
  // The other tab hears its session ended and leaves for the sign-in page.
  await expect(second).toHaveURL(`${server.url}/login?ended=signed_out`);
  await expect(second.getByTestId('session-ended')).toHaveText('You have been signed out.');
  await second.screenshot({ path: testInfo.outputPath('signed-out-elsewhere.png') });
  await context.close();
});

/** Harley signed up on her laptop and signed in on her phone, both live. */
async function harleyOnTwoDevices(browser: Browser, server: ParleyServer) {
  const laptop = await browser.newContext();
  const phone = await browser.newContext();
  const onLaptop = await laptop.newPage();
  const onPhone = await phone.newPage();
  await signUp(onLaptop, server, 'harley', 'Harley');
  await signIn(onPhone, server, 'harley');
  await expect(onPhone.getByTestId('connection')).toHaveCount(0);
  return { laptop, phone, onLaptop, onPhone };
}

test('signing out everywhere ends the sessions of other browsers too', async ({ browser, server }) => {
  const { laptop, phone, onLaptop, onPhone } = await harleyOnTwoDevices(browser, server);

  await onLaptop.getByRole('link', { name: 'Settings' }).click();
  await onLaptop.getByRole('button', { name: 'Sign out everywhere' }).click();
  await expect(onLaptop.getByTestId('session-ended')).toHaveText('You have been signed out on every device.');
  await expect(onPhone.getByTestId('session-ended')).toHaveText('You have been signed out on every device.');
  await laptop.close();
  await phone.close();
});

test('changing the password signs the other devices out and keeps this one', async ({ browser, server }, testInfo) => {
  const { laptop, phone, onLaptop, onPhone } = await harleyOnTwoDevices(browser, server);

  await onLaptop.getByRole('link', { name: 'Settings' }).click();
  await onLaptop.getByLabel('Current password').fill('not my password');
  await onLaptop.getByLabel('New password').fill('a brand new password');
  await onLaptop.getByRole('button', { name: 'Change password' }).click();
  await expect(onLaptop.getByRole('alert')).toHaveText('That is not your current password.');

  await onLaptop.getByLabel('Current password').fill('harley password');
  await onLaptop.getByLabel('New password').fill('a brand new password');
  await onLaptop.getByRole('button', { name: 'Change password' }).click();
  await expect(onLaptop.getByTestId('password-changed')).toBeVisible();
  await onLaptop.screenshot({ path: testInfo.outputPath('password-changed.png') });
  await expect(onPhone.getByTestId('session-ended')).toHaveText('Your password was changed. Sign in again.');

  // This device is still signed in; the phone signs in with the new password.
  await onLaptop.getByRole('link', { name: 'Back to your chats' }).click();
  await expect(onLaptop.getByTestId('me-name')).toHaveText('Harley');
  await onPhone.getByLabel('Username').fill('harley');
  await onPhone.getByLabel('Password').fill('a brand new password');
  await onPhone.getByRole('button', { name: 'Sign in' }).click();
  await expect(onPhone.getByTestId('me-name')).toHaveText('Harley');
  await laptop.close();
  await phone.close();
});
