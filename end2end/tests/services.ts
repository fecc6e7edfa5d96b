import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Real Redis and PostgreSQL servers for the stories that need several
 * Parley nodes, started by the test on free loopback ports. Where one is not
 * installed the story is skipped, except under `CI=true`, where that fails.
 */

/** A free TCP port on loopback. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Resolves once something accepts connections on `port`. */
async function listening(port: number, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = new Socket();
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
      socket.connect(port, '127.0.0.1');
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`${what} did not start on port ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function which(binary: string, dirs: string[] = []): string | undefined {
  const path_ = (process.env.PATH ?? '').split(':');
  return [...dirs, ...path_].map((dir) => path.join(dir, binary)).find((file) => existsSync(file));
}

/** Why a story cannot run here: `undefined` when it can. Under CI, a reason fails it. */
export function missing(): string | undefined {
  if (!which('redis-server')) return 'redis-server is not installed';
  if (!which('initdb', postgresDirs())) return 'PostgreSQL is not installed';
  return undefined;
}

async function stopped(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

export class Redis {
  private child?: ChildProcess;
  private constructor(readonly port: number) {}

  static async start(): Promise<Redis> {
    const redis = new Redis(await freePort());
    await redis.launch();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  private async launch(): Promise<void> {
    this.child = spawn(
      which('redis-server')!,
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    await listening(this.port, 'redis-server');
  }

  async stop(): Promise<void> {
    await stopped(this.child);
  }

  /** Stopped, then started again on the same port (empty). */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }
}

function postgresDirs(): string[] {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return [];
  return readdirSync(root).map((version) => path.join(root, version, 'bin'));
}

/** Runs `binary` as the `postgres` user when we are root (PostgreSQL refuses root). */
function asPostgres(binary: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0
    ? ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', binary, ...args]]
    : [binary, args];
}

export class Postgres {
  private child?: ChildProcess;
  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  /** A fresh cluster in a temp dir, with one database, `parley`. */
  static async start(): Promise<Postgres> {
    const dir = mkdtempSync(path.join(tmpdir(), 'parley-e2e-pg-'));
    const sockets = path.join(dir, 'sockets');
    mkdirSync(sockets);
    if (process.getuid?.() === 0) {
      const { uid, gid } = userIds('postgres');
      for (const owned of [dir, sockets]) chownSync(owned, uid, gid);
    }
    const bin = postgresDirs();
    const [initdb, initArgs] = asPostgres(which('initdb', bin)!, [
      '-D', path.join(dir, 'data'), '-U', 'parley', '--auth=trust', '--no-sync', '-E', 'UTF8',
    ]);
    execFileSync(initdb, initArgs, { stdio: 'ignore' });
    const postgres = new Postgres(await freePort(), dir);
    const [server, args] = asPostgres(which('postgres', bin)!, [
      '-D', path.join(dir, 'data'), '-p', String(postgres.port),
      '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-k', sockets,
    ]);
    postgres.child = spawn(server, args, { stdio: 'ignore' });
    await listening(postgres.port, 'postgres');
    const [createdb, createArgs] = [which('createdb', bin)!, ['-h', '127.0.0.1', '-p', String(postgres.port), '-U', 'parley', 'parley']];
    // Accepting connections a moment before it accepts logins: try a few times.
    for (let attempt = 0; ; attempt++) {
      try {
        execFileSync(createdb, createArgs, { stdio: 'ignore' });
        break;
      } catch (error) {
        if (attempt > 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    return postgres;
  }

  get url(): string {
    return `postgres://parley@127.0.0.1:${this.port}/parley`;
  }

  async stop(): Promise<void> {
    await stopped(this.child);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function userIds(name: string): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', name]).toString().trim());
  const gid = Number(execFileSync('id', ['-g', name]).toString().trim());
  return { uid, gid };
}
