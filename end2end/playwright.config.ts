import { defineConfig } from '@playwright/test';

/**
 * An `Etc/GMT±N` zone in which the local hour is now `hour` (give or take the
 * minutes): the suite runs once where the hour starts with 1 (10–19, where a
 * time like "14:57" follows a message's text) and once where it does not.
 * (`Etc/GMT-3` is UTC+3: the sign is POSIX's, inverted.)
 */
function zoneWithLocalHour(hour: number): string {
  let offset = (hour - new Date().getUTCHours() + 24) % 24;
  if (offset > 14) offset -= 24; // Etc zones span UTC−12 … UTC+14
  if (offset < -12) offset += 24;
  return offset === 0 ? 'Etc/UTC' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
}

// Browser tests against real Parley servers (each test starts its own, see
// tests/fixtures.ts) in Debian's Chromium: nothing is downloaded.
export default defineConfig({
  testDir: './tests',
  outputDir: './test-results',
  // A whole story (two or three people, dozens of messages) per test: a
  // budget for a shared, noisy machine, where one can take twice as long
  // as on a quiet one. Never a measure of speed (docs/PERFORMANCE.md is).
  timeout: 180_000,
  // How long an awaited event may take: a debug build hydrating under load
  // took over 10 s here (a page, its chunk, two compiles).
  expect: { timeout: 30_000 },
  workers: 2,
  reporter: [['list']],
  projects: [
    { name: 'day', use: { timezoneId: zoneWithLocalHour(14) } },
    { name: 'night', use: { timezoneId: zoneWithLocalHour(3) } },
  ],
  use: {
    browserName: 'chromium',
    // The service worker answers the page's requests for the build's files
    // from its cache, past `page.route` (a test that withholds the
    // WebAssembly would get it anyway): tests/app_install.spec.ts runs it,
    // the rest of the suite runs without.
    serviceWorkers: 'block',
    locale: 'en-GB',
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
});
