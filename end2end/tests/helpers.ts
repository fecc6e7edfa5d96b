import { expect, Page } from '@playwright/test';
import { hydrated, ParleyServer } from './fixtures';

export async function signUp(page: Page, server: ParleyServer, username: string, displayName: string) {
  await page.goto(`${server.url}/signup`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Display name').fill(displayName);
  await page.getByLabel('Password').fill(`${username} password`);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page.getByTestId('me-name')).toHaveText(displayName);
  await hydrated(page);
}

export async function signIn(page: Page, server: ParleyServer, username: string) {
  await page.goto(`${server.url}/login`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(`${username} password`);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(`${server.url}/`);
  await hydrated(page);
}

export async function signOut(page: Page) {
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
}

export async function startDirectChat(page: Page, username: string) {
  await page.getByRole('button', { name: 'New chat' }).click();
  await page.getByLabel('Username').fill(username);
  await page.getByRole('button', { name: 'Start chat' }).click();
  await expect(page).toHaveURL(/\/chats\//);
}

export async function send(page: Page, text: string) {
  await page.getByLabel('Message', { exact: true }).fill(text);
  await page.getByLabel('Message', { exact: true }).press('Enter');
}

/**
 * The bubble whose body is exactly `text` (line breaks read as spaces). Never a
 * substring match: "message 3" followed by its time "14:57" would otherwise
 * match "message 31".
 */
export function bubble(page: Page, text: string) {
  return page
    .getByTestId('message')
    .filter({ has: page.getByTestId('message-body').getByText(text, { exact: true }) });
}
