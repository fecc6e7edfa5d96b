import { expect, test } from './fixtures';
import { bubble, messageAction, person, send, signUp, startDirectChat, startGroup } from './helpers';

test('Harley runs a group: Sara added later reads from her joining on, Mike removed loses it live', async ({ browser, server }, testInfo) => {
  const harley = await person(browser);
  const mike = await person(browser);
  const sara = await person(browser);
  await signUp(mike.page, server, 'mike', 'Mike');
  await signUp(sara.page, server, 'sara', 'Sara');
  await signUp(harley.page, server, 'harley', 'Harley');

  await startGroup(harley.page, 'Crew', 'mike');
  await send(harley.page, 'Before Sara came');
  await expect(bubble(harley.page, 'Before Sara came')).toBeVisible();

  // Group info: Harley is its admin; he adds Sara by username.
  await harley.page.getByRole('button', { name: 'Group info' }).click();
  const dialog = harley.page.getByRole('dialog');
  await expect(dialog.getByTestId('member').filter({ hasText: 'Harley (you)' })).toContainText('admin');
  await dialog.getByLabel('Add people (usernames)').fill('sara');
  await dialog.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(dialog.getByTestId('member')).toHaveCount(3);
  await harley.page.screenshot({ path: testInfo.outputPath('group-info.png') });
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(harley.page.getByTestId('system-line').last()).toHaveText('You added Sara');

  // Mike reads the line in his timeline; Sara finds the group in her list,
  // reads her own line, and nothing from before.
  await mike.page.getByTestId('chat-row').filter({ hasText: 'Crew' }).click();
  await expect(mike.page.getByTestId('system-line').last()).toHaveText('Harley added Sara');
  const saraRow = sara.page.getByTestId('chat-row').filter({ hasText: 'Crew' });
  await expect(saraRow).toContainText('Harley added you');
  await saraRow.click();
  await expect(sara.page.getByTestId('system-line')).toHaveText(['Harley added you']);
  await send(sara.page, 'Hi all');
  await expect(bubble(mike.page, 'Hi all')).toBeVisible();
  await expect(sara.page.getByTestId('message')).toHaveCount(1);
  await expect(bubble(sara.page, 'Before Sara came')).toHaveCount(0);

  // Mike answers what was said before Sara came: she reads his answer, and
  // of what it quotes neither the words nor who said them.
  await messageAction(mike.page, 'Before Sara came', 'Reply');
  await send(mike.page, 'Agreed');
  await expect(bubble(sara.page, 'Agreed').getByTestId('quote')).toHaveText('Message unavailable');
  await expect(bubble(harley.page, 'Agreed').getByTestId('quote')).toHaveAccessibleName(
    'Show the original, by You: Before Sara came',
  );
  await sara.page.reload();
  await expect(bubble(sara.page, 'Agreed').getByTestId('quote')).toHaveText('Message unavailable');

  // Harley removes Mike: the group leaves Mike's list at once.
  await harley.page.getByRole('button', { name: 'Group info' }).click();
  await dialog.getByRole('button', { name: 'Remove Mike from the group' }).click();
  await expect(dialog.getByTestId('member')).toHaveCount(2);
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(mike.page.getByTestId('chat-row').filter({ hasText: 'Crew' })).toHaveCount(0);
  await expect(mike.page.getByTestId('send-error')).toHaveText('You are no longer a member of this group.');
  await expect(sara.page.getByTestId('system-line').last()).toHaveText('Harley removed Mike');

  for (const who of [harley, mike, sara]) {
    expect(who.errors).toEqual([]);
  }
});

test('Mike turns read receipts off: Harley\'s ticks stop at grey', async ({ browser, server }) => {
  const harley = await person(browser);
  const mike = await person(browser);
  await signUp(mike.page, server, 'mike', 'Mike');
  await signUp(harley.page, server, 'harley', 'Harley');

  await mike.page.getByRole('link', { name: 'Settings' }).click();
  const receipts = mike.page.getByTestId('read-receipts');
  await expect(receipts).toBeChecked();
  await receipts.uncheck();
  await expect(mike.page.getByTestId('settings-status')).toHaveText('Saved.');
  await mike.page.reload();
  await expect(mike.page.getByTestId('read-receipts')).not.toBeChecked();
  await mike.page.getByRole('link', { name: 'Back to your chats' }).click();

  await startDirectChat(harley.page, 'mike');
  await send(harley.page, 'Did you read this?');
  const sent = bubble(harley.page, 'Did you read this?');
  await expect(sent).toHaveAttribute('data-status', 'delivered');
  // Mike opens the chat and reads it: still grey for Harley.
  await mike.page.getByTestId('chat-row').click();
  await expect(bubble(mike.page, 'Did you read this?')).toBeVisible();
  await send(mike.page, 'Maybe');
  await expect(bubble(harley.page, 'Maybe')).toBeVisible();
  await expect(sent).toHaveAttribute('data-status', 'delivered');
  // And Mike sees no blue ticks either, though Harley has the chat open.
  await expect(bubble(mike.page, 'Maybe')).toHaveAttribute('data-status', 'delivered');

  for (const who of [harley, mike]) {
    expect(who.errors).toEqual([]);
  }
});

test('Harley pins, archives, mutes and marks unread: the list follows, on both of his tabs', async ({ browser, server }) => {
  const harley = await person(browser);
  const mike = await person(browser);
  const sara = await person(browser);
  await signUp(mike.page, server, 'mike', 'Mike');
  await signUp(sara.page, server, 'sara', 'Sara');
  await signUp(harley.page, server, 'harley', 'Harley');
  await startDirectChat(harley.page, 'mike');
  await send(harley.page, 'to mike');
  await startDirectChat(harley.page, 'sara');
  await send(harley.page, 'to sara');
  const tab2 = await harley.context.newPage();
  await tab2.goto(`${server.url}/`);

  const rows = (page: typeof tab2) => page.getByTestId('chat-rows-main').getByTestId('chat-row');
  const titles = (page: typeof tab2) => page.locator('[data-testid="chat-rows-main"] .row-title');
  // Newest first: Sara, then Mike. Pinning Mike puts him on top, on both tabs.
  await expect(titles(harley.page)).toHaveText(['Sara', 'Mike']);
  await harley.page.getByRole('button', { name: 'Options for Mike' }).click();
  await harley.page.getByRole('menuitem', { name: 'Pin' }).click();
  for (const page of [harley.page, tab2]) {
    await expect(titles(page)).toHaveText(['Mike', 'Sara']);
    await expect(rows(page).first()).toHaveAttribute('data-pinned', 'true');
  }

  // Archiving Sara: out of the main list, under "Archived (1)".
  await harley.page.getByRole('button', { name: 'Options for Sara' }).click();
  await harley.page.getByRole('menuitem', { name: 'Archive' }).click();
  for (const page of [harley.page, tab2]) {
    await expect(titles(page)).toHaveText(['Mike']);
    await expect(page.getByTestId('archived-toggle')).toHaveText('Archived (1)');
  }
  await harley.page.getByTestId('archived-toggle').click();
  await expect(harley.page.getByTestId('archived-rows')).toContainText('Sara');

  // A message from Sara brings the chat back.
  await sara.page.getByTestId('chat-row').click();
  await send(sara.page, 'still there?');
  await expect(titles(tab2)).toHaveText(['Mike', 'Sara']);
  await expect(tab2.getByTestId('archived-toggle')).toHaveCount(0);

  // Marked unread: a badge until opened.
  await harley.page.getByRole('button', { name: 'Options for Mike' }).click();
  await harley.page.getByRole('menuitem', { name: 'Mark as unread' }).click();
  const mikeRow = rows(tab2).filter({ hasText: 'Mike' });
  await expect(mikeRow.getByTestId('unread-badge')).toHaveAccessibleName('marked unread');
  await mikeRow.click();
  await expect(rows(harley.page).filter({ hasText: 'Mike' }).getByTestId('unread-badge')).toHaveCount(0);

  for (const who of [harley, mike, sara]) {
    expect(who.errors).toEqual([]);
  }
});

test('a draft stays with its chat across a reload', async ({ browser, server }) => {
  const harley = await person(browser);
  await signUp((await person(browser)).page, server, 'mike', 'Mike');
  await signUp(harley.page, server, 'harley', 'Harley');
  await startDirectChat(harley.page, 'mike');
  const composer = harley.page.getByLabel('Message', { exact: true });
  await composer.fill('half a thought');
  await harley.page.reload();
  await expect(harley.page.getByLabel('Message', { exact: true })).toHaveValue('half a thought');
  expect(harley.errors).toEqual([]);
});
