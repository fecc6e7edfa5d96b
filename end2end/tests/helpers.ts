import AxeBuilder from '@axe-core/playwright';
import { Browser, expect, Page } from '@playwright/test';
import { io, Socket } from '../../frontend/node_modules/socket.io-client';
import { hydrated, ParleyServer, watchForPageErrors } from './fixtures';

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

/**
 * Starts a direct chat with `username` (someone this page has no chat with
 * yet) and lands in it: the dialog has closed and the address is the new
 * chat's. Only "some chat's address" would pass at once when another chat was
 * open, and the next step would type into that chat.
 */
export async function startDirectChat(page: Page, username: string) {
  const before = page.url();
  await page.getByRole('button', { name: 'New chat' }).click();
  await page.getByLabel('Username').fill(username);
  await page.getByRole('button', { name: 'Start chat' }).click();
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await expect(page).toHaveURL((url) => url.pathname.startsWith('/chats/') && url.href !== before);
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

/** Someone with a browser of their own (a context: cookies, storage, page). */
export async function person(browser: Browser) {
  const context = await browser.newContext();
  const page = await context.newPage();
  return { context, page, errors: await watchForPageErrors(page) };
}

/** Opens the menu of the message whose body is exactly `text`, and picks `action`. */
export async function messageAction(page: Page, text: string, action: string) {
  const row = page.locator('.bubble-row').filter({ has: bubble(page, text) });
  await row.hover();
  await row.getByRole('button', { name: 'Message actions' }).click();
  await page.getByRole('menuitem', { name: action, exact: true }).click();
}

/** Starts a group named `name` with these usernames; lands in it. */
export async function startGroup(page: Page, name: string, members: string) {
  await page.getByRole('button', { name: 'New chat' }).click();
  await page.getByLabel('Group').check();
  await page.getByLabel('Group name').fill(name);
  await page.getByLabel('Members').fill(members);
  await page.getByRole('button', { name: 'Start chat' }).click();
  await expect(page.getByTestId('chat-title')).toHaveText(name);
}

/** A plain socket.io-client connection (the official client, over Parley's protocol). */
export async function connectAs(server: ParleyServer, username: string): Promise<Socket> {
  const login = await fetch(`${server.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: `${username} password` }),
  });
  const { token } = await login.json();
  const socket = io(server.url, { auth: { token }, transports: ['websocket'] });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return socket;
}

/** Every WCAG 2.1 A/AA rule axe-core knows, over the page as it is now. */
export async function audit(page: Page, what: string) {
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  const violations = results.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => `${n.target.join(' ')} — ${n.failureSummary}`).join(' | ')}`,
  );
  expect(violations, `axe on ${what}`).toEqual([]);
}
