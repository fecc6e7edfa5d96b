import { expect, ParleyServer, test } from './fixtures';
import { bubble, person, send, signUp, startDirectChat } from './helpers';
import { missing, Postgres, Redis } from './services';

/** `/readyz` of a node: its status code. */
async function readiness(server: ParleyServer): Promise<number> {
  return (await fetch(`${server.url}/readyz`)).status;
}

test('Redis restarted between two nodes: Mike reads what Harley sent meanwhile without reloading', async ({ browser }) => {
  const why = missing();
  if (why) {
    expect(process.env.CI, `under CI every service is there: ${why}`).not.toBe('true');
    test.skip(true, why);
  }
  const redis = await Redis.start();
  const postgres = await Postgres.start();
  const env = { DATABASE_URL: postgres.url, REDIS_URL: redis.url };
  // One after the other: the first migrates the database.
  const a = new ParleyServer(env);
  await a.start();
  const b = new ParleyServer(env);
  await b.start();
  try {
    const harley = await person(browser);
    const mike = await person(browser);
    await signUp(mike.page, b, 'mike', 'Mike');
    await signUp(harley.page, a, 'harley', 'Harley');
    await startDirectChat(harley.page, 'mike');
    await send(harley.page, 'Before the blink');
    await mike.page.getByTestId('chat-row').filter({ hasText: 'Harley' }).click();
    await expect(bubble(mike.page, 'Before the blink')).toBeVisible();

    // Redis goes away: both nodes know it; Harley's messages are still
    // stored (each gets its tick), but they cannot reach Mike's node.
    await redis.stop();
    await expect.poll(() => readiness(a)).toBe(503);
    await expect.poll(() => readiness(b)).toBe(503);
    for (const text of ['During the blink', 'Still during it']) {
      await send(harley.page, text);
      await expect(bubble(harley.page, text)).toHaveAttribute('data-status', /sent|delivered|seen/);
    }

    // Redis is back: Mike's page is told to catch up, and does, as it is.
    await redis.restart();
    await expect(bubble(mike.page, 'During the blink')).toBeVisible();
    await expect(bubble(mike.page, 'Still during it')).toBeVisible();
    await expect(mike.page.getByTestId('message')).toHaveCount(3);
    await expect.poll(() => readiness(a)).toBe(200);
    await send(harley.page, 'After the blink');
    await expect(bubble(mike.page, 'After the blink')).toBeVisible();
    await expect(bubble(harley.page, 'After the blink')).toHaveAttribute('data-status', 'seen');
  } finally {
    await a.stop();
    await b.stop();
    await redis.stop();
    await postgres.stop();
  }
  expect([...a.panics, ...b.panics], 'a node panicked').toEqual([]);
});
