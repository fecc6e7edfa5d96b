import { expect, test } from './fixtures';
import { bubble, person, send, signUp, startDirectChat } from './helpers';

test("a page whose handshake is refused with 'unavailable' connects by itself", async ({ browser, server }) => {
  const mike = await person(browser);
  await signUp(mike.page, server, 'mike', 'Mike');
  const harley = await person(browser);
  await signUp(harley.page, server, 'harley', 'Harley');

  // The next handshake is answered as a busy server answers it: the transport
  // opens, and the namespace refuses with `unavailable`. The ones after reach
  // the real server.
  let refused = 0;
  await harley.page.routeWebSocket(/\/socket\.io\//, (ws) => {
    if (refused > 0) {
      ws.connectToServer();
      return;
    }
    refused += 1;
    ws.onMessage((message) => {
      if (typeof message === 'string' && message.startsWith('40')) {
        ws.send('44{"message":"unavailable"}');
      }
    });
    ws.send('0{"sid":"busy","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}');
  });
  // What the connection banner said, however briefly (the retry comes
  // within a second).
  await harley.page.addInitScript(() => {
    const w = window as any;
    w.__banners = [];
    new MutationObserver(() => {
      const banner = document.querySelector('[data-testid="connection"]');
      const text = banner?.textContent ?? '';
      if (text && w.__banners[w.__banners.length - 1] !== text) w.__banners.push(text);
    }).observe(document, { childList: true, subtree: true, characterData: true });
  });
  await harley.page.reload();

  // Refused once, it says so, then it is back without a reload.
  await expect(harley.page.getByTestId('connection')).toHaveCount(0);
  await expect
    .poll(() => harley.page.evaluate(() => (window as any).__banners))
    .toContain('Reconnecting…');
  expect(refused).toBe(1);
  await startDirectChat(harley.page, 'mike');
  await send(harley.page, 'made it');
  await expect(bubble(harley.page, 'made it')).toHaveAttribute('data-status', 'delivered');
});
