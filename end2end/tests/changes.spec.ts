import { expect, test } from './fixtures';
import { bubble, messageAction, person, send, signUp, startDirectChat } from './helpers';

test('Harley replies, Mike reacts, Harley edits and deletes: both see it all live', async ({ browser, server }, testInfo) => {
  const harley = await person(browser);
  const mike = await person(browser);
  await signUp(mike.page, server, 'mike', 'Mike');
  await signUp(harley.page, server, 'harley', 'Harley');
  await startDirectChat(harley.page, 'mike');
  await send(harley.page, 'Hi Mike!');
  await mike.page.getByTestId('chat-row').click();
  await send(mike.page, 'Are we still on for tonight?');
  await expect(bubble(harley.page, 'Are we still on for tonight?')).toBeVisible();

  // Harley answers that message: a quote strip while he writes, a quote in the bubble.
  await messageAction(harley.page, 'Are we still on for tonight?', 'Reply');
  await expect(harley.page.getByTestId('replying-to')).toContainText('Replying to Mike');
  await send(harley.page, 'Yes, at 8');
  await expect(harley.page.getByTestId('replying-to')).toHaveCount(0);
  // The quote names the author as each reader knows them.
  await expect(bubble(harley.page, 'Yes, at 8').getByTestId('quote')).toHaveAccessibleName(
    'Show the original, by Mike: Are we still on for tonight?',
  );
  await expect(bubble(mike.page, 'Yes, at 8').getByTestId('quote')).toHaveAccessibleName(
    'Show the original, by You: Are we still on for tonight?',
  );

  // The quote leads to the original.
  await bubble(mike.page, 'Yes, at 8').getByTestId('quote').click();
  await expect(bubble(mike.page, 'Are we still on for tonight?')).toBeFocused();

  // Mike reacts 👍: Harley sees the chip, live.
  await messageAction(mike.page, 'Yes, at 8', 'React');
  await mike.page.screenshot({ path: testInfo.outputPath('react-menu.png') });
  await mike.page.getByRole('menuitem', { name: 'React 👍' }).click();
  const chip = bubble(harley.page, 'Yes, at 8').getByTestId('reaction');
  await expect(chip).toHaveAttribute('data-emoji', '👍');
  await expect(chip).toHaveAccessibleName('👍 1: Mike');
  await expect(bubble(mike.page, 'Yes, at 8').getByTestId('reaction')).toHaveAttribute('aria-pressed', 'true');

  await harley.page.screenshot({ path: testInfo.outputPath('reply-and-reaction.png') });

  // Harley edits: Mike sees the new text, marked edited; the quote's target is unchanged.
  await messageAction(harley.page, 'Yes, at 8', 'Edit');
  const composer = harley.page.getByLabel('Message', { exact: true });
  await expect(composer).toHaveValue('Yes, at 8');
  await composer.fill('Yes, at 9');
  await composer.press('Enter');
  const edited = bubble(mike.page, 'Yes, at 9');
  await expect(edited.getByTestId('edited')).toHaveText('edited');
  await expect(edited.getByTestId('reaction')).toHaveAttribute('data-emoji', '👍');
  await expect(bubble(mike.page, 'Yes, at 8')).toHaveCount(0);

  // Harley deletes, after confirming: gone for Mike too, in place.
  await messageAction(harley.page, 'Yes, at 9', 'Delete');
  await harley.page.getByRole('button', { name: 'Delete for everyone' }).click();
  await expect(bubble(mike.page, 'This message was deleted')).toBeVisible();
  await expect(bubble(mike.page, 'Yes, at 9')).toHaveCount(0);
  await expect(bubble(harley.page, 'This message was deleted')).toBeVisible();
  // The chat list's preview follows.
  await expect(mike.page.getByTestId('chat-row')).not.toContainText('Yes, at 9');

  // ↑ in an empty composer edits one's last message (Mike's question); Escape cancels.
  const mikeComposer = mike.page.getByLabel('Message', { exact: true });
  await mikeComposer.press('ArrowUp');
  await expect(mikeComposer).toHaveValue('Are we still on for tonight?');
  await expect(mike.page.getByTestId('editing')).toBeVisible();
  await mikeComposer.press('Escape');
  await expect(mikeComposer).toHaveValue('');
  await expect(mike.page.getByTestId('editing')).toHaveCount(0);

  for (const who of [harley, mike]) {
    expect(who.errors).toEqual([]);
  }
});
