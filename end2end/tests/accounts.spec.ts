import { test, expect, hydrated, watchForPageErrors } from './fixtures';

test('a person signs up, sees their chat list, signs out and signs in again', async ({ page, server }, testInfo) => {
  const pageErrors = watchForPageErrors(page);

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

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(`${server.url}/login`);

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
      await page.getByRole('button', { name: 'Sign out' }).click();
    }
  }
  await expect(page.getByRole('alert')).toHaveText('That username is taken. Try another.');
});
