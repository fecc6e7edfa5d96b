import { test as base, expect, Page } from '@playwright/test';
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const workspace = path.resolve(__dirname, '..', '..');
// What README command 1 builds and people run (`.ci/test` builds it): the
// release binary, which carries its site (hashed, precompressed) in itself.
const binary = process.env.PARLEY_BIN ?? path.join(workspace, 'target', 'release', 'parley');
// A measurement of another build may point at its site directory instead.
const siteRoot = process.env.PARLEY_SITE;
// Nothing the shell says about a site directory reaches the server unasked.
const { LEPTOS_SITE_ROOT: _unasked, ...inherited } = process.env;

/** A real Parley server on a random port with its own SQLite file. */
export class ParleyServer {
  private child?: ChildProcess;
  private port = 0;
  readonly dataDir = mkdtempSync(path.join(tmpdir(), 'parley-e2e-'));

  /** `env`: extra settings for this server (e.g. a looser rate limit). */
  constructor(private readonly env: Record<string, string> = {}) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts the server; a restart reuses the port it had, so pages can reconnect. */
  async start(): Promise<void> {
    const child = spawn(binary, ['--addr', `127.0.0.1:${this.port}`], {
      cwd: workspace,
      env: {
        ...inherited,
        DATABASE_URL: `sqlite://${path.join(this.dataDir, 'parley.db')}?mode=rwc`,
        ...(siteRoot ? { LEPTOS_SITE_ROOT: siteRoot } : {}),
        RUST_LOG: 'info',
        NO_COLOR: '1',
        ...this.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    // Its log still reaches ours; a panic in it fails the test at the end.
    child.stderr!.on('data', (chunk: Buffer) => {
      process.stderr.write(chunk);
      const text = chunk.toString();
      if (text.includes('panicked at')) this.panics.push(text);
    });
    this.port = await new Promise<number>((resolve, reject) => {
      let seen = '';
      const timer = setTimeout(() => reject(new Error(`parley did not start: ${seen}`)), 30_000);
      child.once('exit', (code) => reject(new Error(`parley exited with ${code}: ${seen}`)));
      child.stdout!.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        const match = seen.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      });
    });
    // Keep draining the server's log so it never blocks on a full pipe.
    child.stdout!.on('data', () => {});
  }

  /** Panics the server printed (a thread's, a task's: it kept serving). */
  readonly panics: string[] = [];

  /** Freezes the process (SIGSTOP): connections stay open, nothing is answered. */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  /** Lets a paused process run again (SIGCONT). */
  resume(): void {
    this.child?.kill('SIGCONT');
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}

/**
 * Collects every uncaught error in the page (a broken hydration, say), every
 * console error and every Content-Security-Policy violation, for the test to
 * assert there are none.
 */
export async function watchForPageErrors(page: Page): Promise<string[]> {
  const errors: string[] = [];
  await page.exposeFunction('__parleyCspViolation', (what: string) => errors.push(`CSP violation: ${what}`));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      (window as any).__parleyCspViolation(`${event.violatedDirective} ${event.blockedURI}`);
    });
  });
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`${message.text()} (${message.location().url})`);
  });
  return errors;
}

/** Waits until the WebAssembly has taken over the server-rendered page. */
export async function hydrated(page: Page): Promise<void> {
  await expect(page.locator('html[data-hydrated]')).toHaveCount(1);
}

export const test = base.extend<{ server: ParleyServer; serverEnv: Record<string, string> }>({
  serverEnv: [{}, { option: true }],
  server: async ({ serverEnv }, use) => {
    const server = new ParleyServer(serverEnv);
    await server.start();
    await use(server);
    await server.stop();
    rmSync(server.dataDir, { recursive: true, force: true });
    expect(server.panics, 'the server panicked').toEqual([]);
  },
});

export { expect };
