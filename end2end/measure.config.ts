import { defineConfig } from '@playwright/test';
import base from './playwright.config';

// Measurements, not tests: `npx playwright test -c measure.config.ts` (see
// docs/PERFORMANCE.md, "Page load"). Run against a release build:
// PARLEY_BIN=../target/release/parley LEPTOS_HASH_FILES=true; another build's
// binary and site with PARLEY_BIN and PARLEY_SITE (its hash.txt beside the binary).
export default defineConfig({
  ...base,
  testDir: './measure',
  testMatch: '**/*.measure.ts',
  outputDir: './test-results/measure',
  timeout: 300_000,
  workers: 1,
  projects: [{ name: 'measure', use: { timezoneId: 'Etc/UTC' } }],
});
