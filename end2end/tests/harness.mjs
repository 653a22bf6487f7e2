// Test harness for the browser tests: runs the real `portcullis` binary against a fresh SQLite
// database in a temp dir, drives its CLI against the same database, and launches Debian's
// Chromium through playwright-core. Everything started here is torn down by `stop()`, and, as a
// last resort, when the Node process exits.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

/** The repository root: the nearest ancestor of this file with `Cargo.toml` and `end2end/`. */
export function repoRoot() {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'Cargo.toml')) && existsSync(join(dir, 'end2end'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the repository root (a Cargo.toml beside end2end/)');
    dir = parent;
  }
}

const ROOT = repoRoot();
export const SITE_ROOT = resolve(process.env.LEPTOS_SITE_ROOT ?? join(ROOT, 'target', 'site'));
export const BIN = resolve(process.env.PORTCULLIS_BIN ?? join(ROOT, 'target', 'debug', 'portcullis'));
export const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const STARTUP_TIMEOUT_MS = 30_000;

// Flags from shared/BUILD.md: without the background-networking ones Chromium keeps trying to
// reach the (closed) network.
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Throws a message that says what to do when the build outputs are missing. */
export function checkBuilt() {
  const wasm = join(SITE_ROOT, 'pkg', 'portcullis.wasm');
  if (!existsSync(wasm)) {
    throw new Error(`${wasm} is missing: run cargo leptos build first (from ${ROOT})`);
  }
  if (!existsSync(BIN)) {
    throw new Error(`${BIN} is missing: run cargo leptos build first (or set PORTCULLIS_BIN)`);
  }
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (or set CHROMIUM_BIN)`);
  }
}

// Configuration the developer's shell may carry that would point the server elsewhere.
const STRIPPED_ENV = [
  'DATABASE_URL',
  'RUST_LOG',
  'PORTCULLIS_DATABASE_URL',
  'PORTCULLIS_ADDR',
  'PORTCULLIS_PUBLIC_URL',
  'PORTCULLIS_CONFIG',
  'PORTCULLIS_MASTER_KEY',
  'PORTCULLIS_MASTER_KEY_FILE',
  'PORTCULLIS_SITE_ROOT',
];

function childEnv() {
  const env = { ...process.env };
  for (const k of STRIPPED_ENV) delete env[k];
  env.LEPTOS_SITE_ROOT = SITE_ROOT;
  env.PORTCULLIS_LOG = process.env.E2E_SERVER_LOG ?? 'warn';
  return env;
}

// Last-resort cleanup if the runner dies before `stop()` ran (synchronous: 'exit' allows no await).
const live = new Set();
process.on('exit', () => {
  for (const env of live) env.stopSync();
});
// Interrupted (Ctrl-C, or the runner timing out): 'exit' does not fire on a signal by itself.
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]]) {
  process.on(signal, () => {
    for (const env of live) env.stopSync();
    // playwright-core adds its own handler that closes the browser and exits; otherwise exit here.
    if (process.listenerCount(signal) === 1) process.exit(code);
  });
}

/**
 * Starts a server on a fresh database. Returns `{ baseUrl, dir, databaseUrl, cli, stop }`.
 * On any failure during start-up, whatever was started is cleaned up before the error is thrown.
 */
export async function startServer() {
  checkBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-e2e-'));
  const databaseUrl = `sqlite:${join(dir, 'db.sqlite')}`;
  const env = childEnv();
  let server = null;
  let stderr = '';

  const stopSync = () => {
    if (server && server.exitCode === null && server.signalCode === null) {
      try {
        server.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const handle = {
    dir,
    databaseUrl,
    baseUrl: null,
    stopSync,
    /** Runs `portcullis --database-url … ARGS` and returns its stdout; throws on a non-zero exit. */
    cli(args, { input } = {}) {
      const r = spawnSync(BIN, ['--database-url', databaseUrl, ...args], {
        cwd: dir,
        env,
        input: input ?? '',
        encoding: 'utf8',
        timeout: 60_000,
      });
      if (r.error) throw r.error;
      if (r.status !== 0) {
        throw new Error(`portcullis ${args.join(' ')} exited ${r.status}: ${r.stderr.trim() || r.stdout.trim()}`);
      }
      return r.stdout;
    },
    /** Stops the server (SIGTERM, then SIGKILL after 5 s) and removes the temp dir. */
    async stop() {
      live.delete(handle);
      if (server && server.exitCode === null && server.signalCode === null) {
        const exited = new Promise((res) => server.once('exit', res));
        server.kill('SIGTERM');
        const timer = setTimeout(() => server.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  live.add(handle);

  try {
    server = spawn(BIN, ['--database-url', databaseUrl, '--addr', '127.0.0.1:0', 'serve'], {
      cwd: dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stderr.setEncoding('utf8');
    server.stderr.on('data', (chunk) => {
      stderr = (stderr + chunk).slice(-8_000);
      if (process.env.E2E_VERBOSE) process.stderr.write(`[server] ${chunk}`);
    });
    handle.baseUrl = await new Promise((res, rej) => {
      const timer = setTimeout(
        () => rej(new Error(`server did not print "listening on" within ${STARTUP_TIMEOUT_MS / 1000} s\n${stderr}`)),
        STARTUP_TIMEOUT_MS,
      );
      const lines = createInterface({ input: server.stdout });
      lines.on('line', (line) => {
        const m = /^listening on (http:\/\/\S+)/.exec(line);
        if (m) {
          clearTimeout(timer);
          res(m[1]);
        }
      });
      server.once('error', (e) => {
        clearTimeout(timer);
        rej(new Error(`cannot start ${BIN}: ${e.message}`));
      });
      server.once('exit', (code, signal) => {
        clearTimeout(timer);
        rej(new Error(`server exited (${code ?? signal}) before listening\n${stderr}`));
      });
    });
    return handle;
  } catch (e) {
    await handle.stop();
    throw e;
  }
}

/** Launches Chromium with a fresh profile (playwright-core makes a new temp user-data-dir). */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    // playwright adds --headless itself too; keep its own defaults otherwise.
    headless: true,
    timeout: 30_000,
  });
}

/**
 * Records what a page says in its console and any uncaught error (a hydration panic shows up
 * here). `problems()` lists the errors and warnings, less two kinds of noise that say nothing
 * about the pages: loads cancelled because the test navigated on (`net::ERR_ABORTED`, e.g. the
 * WASM of a page left before it hydrated) and Chromium's automatic `/favicon.ico` request (the
 * site has none). `all()` lists everything.
 */
export function watchConsole(page) {
  const messages = [];
  page.on('console', (msg) =>
    messages.push({ type: msg.type(), text: msg.text(), url: msg.location()?.url ?? '' }),
  );
  page.on('pageerror', (err) => messages.push({ type: 'pageerror', text: String(err?.stack ?? err), url: page.url() }));
  page.on('requestfailed', (req) =>
    messages.push({ type: 'requestfailed', text: `${req.method()} ${req.url()}: ${req.failure()?.errorText}`, url: req.url() }),
  );
  const noise = (m) =>
    (m.type === 'requestfailed' && m.text.endsWith('net::ERR_ABORTED')) ||
    (m.type === 'error' && new URL(m.url || 'about:blank').pathname === '/favicon.ico');
  return {
    all: () => messages.slice(),
    problems: () =>
      messages.filter((m) => ['error', 'warning', 'pageerror', 'requestfailed'].includes(m.type) && !noise(m)),
    clear: () => {
      messages.length = 0;
    },
  };
}
