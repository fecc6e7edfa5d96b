import { expect, test } from './fixtures';
import { bubble, connectAs, messageAction, person, send, signIn, signOut, signUp, startDirectChat, startGroup } from './helpers';

/** What the browser logs when the server goes away under it: expected in a restart. */
function isLostConnection(error: string): boolean {
  return /WebSocket connection to .* failed|ERR_CONNECTION_REFUSED/.test(error);
}

test("the seed's story: Harley's ticks follow Mike, and his typing shows", async ({ browser, server }, testInfo) => {
  const harley = await person(browser);
  const mike = await person(browser);
  // Typing starts and stops on timers: both pages run on Playwright's clock,
  // so those timers fire when the test says, not when the machine gets to it.
  await harley.page.clock.install();
  await mike.page.clock.install();
  await signUp(mike.page, server, 'mike', 'Mike');
  await signOut(mike.page);
  await signUp(harley.page, server, 'harley', 'Harley');

  await startDirectChat(harley.page, 'mike');
  await expect(harley.page.getByTestId('chat-title')).toHaveText('Mike');
  await send(harley.page, 'Hi Mike!');
  const hi = bubble(harley.page, 'Hi Mike!');
  await expect(hi).toHaveAttribute('data-status', 'sent');
  await expect(harley.page.getByLabel('Message', { exact: true })).toHaveValue('');

  // Mike signs in: ✓✓ grey on Harley's screen, without a reload.
  await signIn(mike.page, server, 'mike');
  await expect(hi).toHaveAttribute('data-status', 'delivered');
  const row = mike.page.getByTestId('chat-row');
  await expect(row).toContainText('Hi Mike!');
  await expect(row).toContainText('1');
  await expect(mike.page).toHaveTitle('(1) Parley');

  // He opens the chat: blue.
  await row.click();
  await expect(bubble(mike.page, 'Hi Mike!')).toBeVisible();
  await expect(hi).toHaveAttribute('data-status', 'seen');
  await expect(mike.page).toHaveTitle('Parley');
  await expect(harley.page.getByTestId('chat-subtitle')).toHaveText('online');

  // He types: Harley sees it, however long the machine takes to show it
  // (both clocks stand still; pausing jumps a second ahead, which nothing
  // pending minds)...
  for (const page of [harley.page, mike.page]) {
    await page.clock.pauseAt((await page.evaluate(() => Date.now())) + 1_000);
  }
  await mike.page.getByLabel('Message', { exact: true }).pressSequentially('Hey Har');
  await expect(harley.page.getByTestId('typing')).toHaveText('Mike is typing…');
  await expect(harley.page.getByTestId('chat-subtitle')).toHaveText('typing…');
  await harley.page.screenshot({ path: testInfo.outputPath('harley-sees-typing.png') });
  // ...and it goes away once he has been idle for three seconds.
  await mike.page.clock.runFor(3_000);
  await expect(harley.page.getByTestId('typing')).toHaveText('');
  await expect(harley.page.getByTestId('chat-subtitle')).toHaveText('online');
  for (const page of [harley.page, mike.page]) await page.clock.resume();

  // His reply arrives; Shift+Enter makes a new line, Enter sends.
  await mike.page.getByLabel('Message', { exact: true }).press('Shift+Enter');
  await mike.page.getByLabel('Message', { exact: true }).pressSequentially('ley!');
  await mike.page.getByLabel('Message', { exact: true }).press('Enter');
  await expect(bubble(harley.page, 'Hey Har ley!')).toBeVisible();
  await mike.page.screenshot({ path: testInfo.outputPath('mike-conversation.png') });
  expect(harley.errors).toEqual([]);
  expect(mike.errors).toEqual([]);
});

test('a group of three: message info shows each member, live', async ({ browser, server }, testInfo) => {
  const harley = await person(browser);
  const mike = await person(browser);
  const sara = await person(browser);
  await signUp(mike.page, server, 'mike', 'Mike');
  await signUp(sara.page, server, 'sara', 'Sara');
  await signUp(harley.page, server, 'harley', 'Harley');

  await startGroup(harley.page, 'Crew', 'mike, sara');
  await expect(harley.page.getByTestId('chat-subtitle')).toHaveText('3 members');

  await send(harley.page, 'Hello crew');
  const hello = bubble(harley.page, 'Hello crew');
  await expect(hello).toHaveAttribute('data-status', 'delivered');
  await messageAction(harley.page, 'Hello crew', 'Message info');
  const info = (user: string) => harley.page.locator(`[data-testid="receipt-row"][data-user="${user}"]`);
  await expect(info('mike')).toHaveAttribute('data-state', 'delivered');
  await expect(info('sara')).toHaveAttribute('data-state', 'delivered');

  await mike.page.getByTestId('chat-row').click();
  await expect(bubble(mike.page, 'Hello crew')).toContainText('Harley');
  await expect(info('mike')).toHaveAttribute('data-state', 'seen');
  await expect(info('sara')).toHaveAttribute('data-state', 'delivered');
  await expect(hello).toHaveAttribute('data-status', 'delivered');
  await harley.page.screenshot({ path: testInfo.outputPath('message-info.png') });

  await sara.page.getByTestId('chat-row').click();
  await expect(info('sara')).toHaveAttribute('data-state', 'seen');
  await harley.page.getByRole('button', { name: 'Close' }).click();
  await expect(hello).toHaveAttribute('data-status', 'seen');
});

test('a server restart: both pages reconnect and a message sent meanwhile arrives once', async ({ browser, server }, testInfo) => {
  const harley = await person(browser);
  const mike = await person(browser);
  await signUp(mike.page, server, 'mike', 'Mike');
  await signUp(harley.page, server, 'harley', 'Harley');
  await startDirectChat(harley.page, 'mike');
  await send(harley.page, 'before the restart');
  await mike.page.getByTestId('chat-row').click();
  await expect(bubble(mike.page, 'before the restart')).toBeVisible();

  await server.stop();
  await expect(harley.page.getByTestId('connection')).toHaveText('Reconnecting…');
  await expect(mike.page.getByTestId('connection')).toHaveText('Reconnecting…');
  await send(harley.page, 'sent while it was down');
  await expect(bubble(harley.page, 'sent while it was down')).toHaveAttribute('data-status', 'pending');
  await harley.page.screenshot({ path: testInfo.outputPath('while-down.png') });

  await server.start();
  await expect(harley.page.getByTestId('connection')).toHaveCount(0, { timeout: 20_000 });
  await expect(mike.page.getByTestId('connection')).toHaveCount(0, { timeout: 20_000 });
  await expect(bubble(mike.page, 'sent while it was down')).toHaveCount(1);
  await expect(bubble(harley.page, 'sent while it was down')).toHaveAttribute('data-status', 'seen');
  // and it stays once: a message sent after it arrives after any second copy would have.
  await send(harley.page, 'after the restart');
  await expect(bubble(mike.page, 'after the restart')).toBeVisible();
  await expect(bubble(mike.page, 'sent while it was down')).toHaveCount(1);
  await expect(bubble(harley.page, 'sent while it was down')).toHaveCount(1);
  expect(harley.errors.filter((error) => !isLostConnection(error))).toEqual([]);
  expect(mike.errors.filter((error) => !isLostConnection(error))).toEqual([]);
  await mike.page.screenshot({ path: testInfo.outputPath('after-restart.png') });
});

test('a server too busy to answer in time: the message is sent again by itself and arrives once', async ({ browser, server }) => {
  const harley = await person(browser);
  const mike = await person(browser);
  // Every sendMessage frame Harley's page puts on the wire for this text,
  // from the first socket it opens.
  let tries = 0;
  harley.page.on('websocket', (socket) =>
    socket.on('framesent', ({ payload }) => {
      if (String(payload).includes('"sendMessage"') && String(payload).includes('while it stalled')) tries++;
    }),
  );
  await signUp(mike.page, server, 'mike', 'Mike');
  await signUp(harley.page, server, 'harley', 'Harley');
  await startDirectChat(harley.page, 'mike');
  await mike.page.getByTestId('chat-row').click();
  await send(harley.page, 'hello');
  await expect(bubble(mike.page, 'hello')).toBeVisible();

  // Frozen, the server keeps the connection but answers nothing: the first
  // try goes unanswered past the page's wait, and the page tries again.
  server.pause();
  try {
    await send(harley.page, 'sent while it stalled');
    await expect(bubble(harley.page, 'sent while it stalled')).toHaveAttribute('data-status', 'pending');
    await expect.poll(() => tries).toBeGreaterThanOrEqual(2);
  } finally {
    server.resume();
  }
  // Both tries reach the server; it stores the message once and answers the
  // second with it.
  await expect(bubble(harley.page, 'sent while it stalled')).toHaveAttribute('data-status', 'seen');
  await expect(bubble(mike.page, 'sent while it stalled')).toHaveCount(1);
  await send(harley.page, 'and after');
  await expect(bubble(mike.page, 'and after')).toBeVisible();
  await expect(bubble(mike.page, 'sent while it stalled')).toHaveCount(1);
  await expect(bubble(harley.page, 'sent while it stalled')).toHaveCount(1);
  expect(harley.errors).toEqual([]);
  expect(mike.errors).toEqual([]);
});

test("an over-long message shows the server's reason and keeps the draft", async ({ browser, server }, testInfo) => {
  const harley = await person(browser);
  await signUp(harley.page, server, 'harley', 'Harley');
  await signUp((await person(browser)).page, server, 'mike', 'Mike');
  await startDirectChat(harley.page, 'mike');
  const long = 'x'.repeat(4001);
  await harley.page.getByLabel('Message', { exact: true }).fill(long);
  await harley.page.getByLabel('Message', { exact: true }).press('Enter');
  await expect(harley.page.getByTestId('send-error')).toContainText('4000 characters');
  await expect(harley.page.getByLabel('Message', { exact: true })).toHaveValue(long);
  await expect(harley.page.getByTestId('message')).toHaveCount(0);
  await harley.page.screenshot({ path: testInfo.outputPath('too-long.png') });
  // and the chat still works
  await send(harley.page, 'short one');
  await expect(bubble(harley.page, 'short one')).toHaveAttribute('data-status', 'delivered');
});

test('the conversation in light and dark, desktop and phone', async ({ browser, server }, testInfo) => {
  const harley = await person(browser);
  const mike = await person(browser);
  await signUp(mike.page, server, 'mike', 'Mike Ross');
  await signUp(harley.page, server, 'harley', 'Harley Quinn');
  await startDirectChat(harley.page, 'mike');
  await send(harley.page, 'Hi Mike! Are we still on for tonight?');
  await mike.page.getByTestId('chat-row').click();
  await send(mike.page, 'Yes! 8 pm at the usual place.');
  await send(harley.page, 'Perfect, see you there 🎉');
  await expect(bubble(harley.page, 'Perfect, see you there 🎉')).toHaveAttribute('data-status', 'seen');
  for (const scheme of ['light', 'dark'] as const) {
    await harley.page.emulateMedia({ colorScheme: scheme });
    await harley.page.setViewportSize({ width: 1280, height: 720 });
    await harley.page.screenshot({ path: testInfo.outputPath(`conversation-${scheme}-desktop.png`) });
    await harley.page.setViewportSize({ width: 390, height: 760 });
    await expect(harley.page.getByRole('link', { name: 'Back to chats' })).toBeVisible();
    await harley.page.screenshot({ path: testInfo.outputPath(`conversation-${scheme}-phone.png`) });
  }
  // On a phone the list is its own screen.
  await harley.page.getByRole('link', { name: 'Back to chats' }).click();
  await expect(harley.page.getByTestId('chat-row')).toBeVisible();
  await harley.page.screenshot({ path: testInfo.outputPath('chat-list-phone.png') });
});

test.describe('a long chat', () => {
// Mike sends 81 messages as fast as the acks come back: past the default rate limit.
test.use({ serverEnv: { PARLEY_EVENT_BURST: '500' } });

test('older messages load on scrolling up without a jump, and new ones below show a pill', async ({ browser, server }, testInfo) => {
  const harley = await person(browser);
  await signUp(harley.page, server, 'harley', 'Harley');
  await signUp((await person(browser)).page, server, 'mike', 'Mike');
  await startDirectChat(harley.page, 'mike');
  await send(harley.page, 'message 0');
  await expect(bubble(harley.page, 'message 0')).toHaveAttribute('data-status', 'delivered');

  // Mike writes 80 more from a plain socket.io-client, as any client could.
  const mike = await connectAs(server, 'mike');
  const chatId = harley.page.url().split('/chats/')[1];
  for (let n = 1; n <= 80; n++) {
    const ack = await mike.timeout(30_000).emitWithAck('sendMessage', { chatId, clientId: `m-${n}`, body: `message ${n}` });
    expect(ack.ok?.seq).toBe(n + 1);
  }
  await expect(bubble(harley.page, 'message 80')).toBeVisible();

  // Reopen the chat: the latest 50 come, the rest on scrolling up.
  await harley.page.goto(`${server.url}/chats/${chatId}`);
  await expect(bubble(harley.page, 'message 80')).toBeVisible();
  await expect(harley.page.getByTestId('message')).toHaveCount(50);
  const oldest = bubble(harley.page, 'message 31');
  await harley.page.getByRole('log', { name: 'Messages' }).evaluate((list) => list.scrollTo({ top: 0 }));
  await expect(harley.page.getByTestId('message')).toHaveCount(81);
  // The message that was at the top stays in view, instead of being pushed
  // down by the 30 older ones put above it (which would show message 1).
  await expect(oldest).toBeInViewport();
  await expect(bubble(harley.page, 'message 1').first()).not.toBeInViewport();

  // Scrolled up, a new message does not pull the view down: a pill offers it.
  await mike.timeout(30_000).emitWithAck('sendMessage', { chatId, clientId: 'm-late', body: 'a late one' });
  await expect(harley.page.getByRole('button', { name: 'New messages ↓' })).toBeVisible();
  await harley.page.screenshot({ path: testInfo.outputPath('new-messages-pill.png') });
  await harley.page.getByRole('button', { name: 'New messages ↓' }).click();
  await expect(bubble(harley.page, 'a late one')).toBeInViewport();
  mike.disconnect();
});
});
