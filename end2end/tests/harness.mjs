// Test harness for the browser tests: runs the real `portcullis` binary against a fresh SQLite
// database in a temp dir, drives its CLI against the same database, and launches Debian's
// Chromium through playwright-core. Everything started here is torn down by `stop()`, and, as a
// last resort, when the Node process exits.

import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before } from 'node:test';
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
  warnIfStale(wasm);
}

/** The newest modification time (ms) of the files under `dir`, or 0. */
function newestMtime(dir) {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    newest = Math.max(newest, statSync(join(entry.parentPath ?? entry.path, entry.name)).mtimeMs);
  }
  return newest;
}

let staleWarned = false;
/**
 * The server renders the pages from the `app` crate it was compiled with, the browser hydrates
 * them with the WASM bundle: when `app/` changed after the bundle was built (e.g. a plain
 * `cargo build` of the server since), the two disagree and hydration panics ("A hydration error
 * occurred… expected a marker node"). Says so up front instead of leaving a puzzling failure.
 */
function warnIfStale(wasm) {
  if (staleWarned || process.env.PORTCULLIS_BIN || process.env.LEPTOS_SITE_ROOT) return;
  const built = statSync(wasm).mtimeMs;
  const sources = Math.max(...['app', 'frontend', 'style'].map((d) => newestMtime(join(ROOT, d))));
  if (sources > built) {
    staleWarned = true;
    process.stderr.write(
      `warning: ${wasm} is older than the sources in app/, frontend/ or style/: ` +
        'hydration may fail on pages that changed; run cargo leptos build first\n',
    );
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

/** A loopback port free right now (the OS picks it; closed again before returning). */
async function freePort() {
  const probe = createServer();
  await new Promise((res, rej) => {
    probe.once('error', rej);
    probe.listen(0, '127.0.0.1', res);
  });
  const { port } = probe.address();
  await new Promise((res) => probe.close(res));
  return port;
}

/**
 * Starts a server on a fresh database. Returns `{ baseUrl, dir, databaseUrl, cli, stop }`.
 * On any failure during start-up, whatever was started is cleaned up before the error is thrown.
 * `publicHost` (e.g. `'localhost'`) serves it as `http://{publicHost}:{port}` (its public URL, so
 * issuer and redirect URIs name that host): a second server on another host name keeps its
 * cookies apart from the first's, as browsers ignore ports for cookies.
 */
export async function startServer({ publicHost } = {}) {
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
    // The public URL needs the port up front: take a free one (the OS's pick, a moment before).
    const port = publicHost ? await freePort() : 0;
    const addrArgs = ['--addr', `127.0.0.1:${port}`];
    if (publicHost) addrArgs.push('--public-url', `http://${publicHost}:${port}`);
    server = spawn(BIN, ['--database-url', databaseUrl, ...addrArgs, '--management-addr', '127.0.0.1:0', 'serve'], {
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
          res(publicHost ? m[1].replace('127.0.0.1', publicHost) : m[1]);
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
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    // playwright adds --headless itself too; keep its own defaults otherwise.
    headless: true,
    timeout: 30_000,
  });
  // PORTCULLIS_E2E_CPU_SLOWDOWN=N runs every page N times slower (Chromium's CPU throttling),
  // to see locally what a slow CI machine does to timing (hydration racing a click).
  const slowdown = Number(process.env.PORTCULLIS_E2E_CPU_SLOWDOWN ?? 1);
  if (slowdown > 1) {
    const newContext = browser.newContext.bind(browser);
    browser.newContext = async (options) => {
      const context = await newContext(options);
      context.on('page', (page) =>
        context
          .newCDPSession(page)
          .then((cdp) => cdp.send('Emulation.setCPUThrottlingRate', { rate: slowdown }))
          .catch(() => {}),
      );
      return context;
    };
  }
  return browser;
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

/**
 * Waits until the page has hydrated (`body[data-hydrated=true]`, set by `frontend` once
 * `hydrate_body` returned). Fails at once, with what to do, when the page logs a hydration error
 * instead: the server binary and the WASM bundle then come from different builds (e.g. a plain
 * `cargo build` of the server, or one with other flags, after `cargo leptos build`), which
 * otherwise shows up as a bare 15 s timeout.
 */
export async function waitHydrated(page, timeout = 15_000) {
  const until = Date.now() + timeout;
  for (;;) {
    if ((await page.locator('body[data-hydrated="true"]').count()) > 0) return;
    const failed = (await page.consoleMessages({ filter: 'since-navigation' })).find(
      (m) => m.type() === 'error' && /hydration error/i.test(m.text()),
    );
    if (failed) {
      throw new Error(
        `hydration failed on ${page.url()}: ${failed.text().split('\n')[0]}\n` +
          `The server binary (${BIN}) and the bundle (${SITE_ROOT}/pkg) disagree: ` +
          'run cargo leptos build (a plain cargo build of the server, or one with other flags, breaks the pair)',
      );
    }
    if (Date.now() > until) throw new Error(`${page.url()} did not hydrate within ${timeout} ms`);
    await sleep(50);
  }
}

/**
 * Waits until `link` is marked as the current page (`aria-current="page"`). With JavaScript on,
 * the router changes the URL before the new view renders, so reading the attribute right after
 * `waitForURL` races the render.
 */
export async function waitCurrent(link, timeout = 10_000) {
  await link.and(link.page().locator('[aria-current="page"]')).waitFor({ timeout });
}

/**
 * A stand-in for a client application's redirect endpoint: an HTTP server on 127.0.0.1 (random
 * port) that answers every request with a small HTML page and records the full URL. It never
 * exchanges anything: the test reads the code from the recorded URL. Returns
 * `{ origin, url(path), requests, next(path), close }`; `next(path)` resolves with the `URL` of
 * the next request to `path` (one already received and not yet taken counts).
 */
export async function startCallbackServer() {
  const requests = [];
  const waiting = [];
  const taken = new Set();
  const server = createServer((req, res) => {
    const url = new URL(req.url, `http://${req.headers.host}`);
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    const entry = { method: req.method, url };
    requests.push(entry);
    const i = waiting.findIndex((w) => w.path === url.pathname);
    if (i >= 0) {
      taken.add(entry);
      const [w] = waiting.splice(i, 1);
      w.resolve(url);
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Callback</title></head>' +
      '<body><p id="callback">The application received the response.</p></body></html>');
  });
  await new Promise((res, rej) => {
    server.once('error', rej);
    server.listen(0, '127.0.0.1', res);
  });
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    origin,
    url: (path) => `${origin}${path}`,
    requests,
    /** The next request to `path`, as a URL; rejects after `timeout` ms. */
    next(path, timeout = 15_000) {
      const ready = requests.find((r) => r.url.pathname === path && !taken.has(r));
      if (ready) {
        taken.add(ready);
        return Promise.resolve(ready.url);
      }
      return new Promise((resolve, reject) => {
        const w = { path, resolve: (u) => { clearTimeout(timer); resolve(u); } };
        const timer = setTimeout(() => {
          waiting.splice(waiting.indexOf(w), 1);
          reject(new Error(`no request to ${origin}${path} within ${timeout} ms`));
        }, timeout);
        waiting.push(w);
      });
    },
    close: () => new Promise((res) => {
      server.closeAllConnections?.();
      server.close(() => res());
    }),
  };
}

/** The path of the page's current URL. */
export function pathOf(page) {
  return new URL(page.url()).pathname;
}

/** A fresh browser context (JavaScript on or off) and a page in it. */
export async function newContext(browser, javaScriptEnabled) {
  const context = await browser.newContext({ javaScriptEnabled });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  return { context, page };
}

/** The console administrator the console suites make (`admin create`) and sign in as. */
export const CONSOLE_ADMIN = 'root';
export const CONSOLE_PASSWORD = 'correct horse battery';

/** Signs `username` in at the console's sign-in page (of `realm`, for a realm's own administrator). */
export async function consoleSignIn(page, baseUrl, username = CONSOLE_ADMIN, { realm, password = CONSOLE_PASSWORD } = {}) {
  await page.goto(`${baseUrl}/admin/login${realm ? `?realm=${realm}` : ''}`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await Promise.all([page.waitForURL(/\/console\//), page.getByRole('button', { name: 'Sign in' }).click()]);
}

/**
 * A signed-in console page for the enclosing `describe`: a fresh context with JavaScript `js`,
 * opened in its `before`, closed in its `after`. `suite()` gives `{ browser, baseUrl }` once the
 * file's own `before` made them; `session.page` and `session.consoleLog` are there afterwards.
 */
export function consoleSession(suite, js, { username = CONSOLE_ADMIN, realm, timeout = 15_000 } = {}) {
  const session = {};
  before(async () => {
    const { browser, baseUrl } = suite();
    session.context = await browser.newContext({ javaScriptEnabled: js, viewport: { width: 1280, height: 900 } });
    session.context.setDefaultTimeout(timeout);
    session.page = await session.context.newPage();
    session.consoleLog = watchConsole(session.page);
    await consoleSignIn(session.page, baseUrl, username, { realm });
  });
  after(async () => {
    await session.context?.close().catch(() => {});
  });
  return session;
}

/** Fills and submits the end-user sign-in form; resolves once the next page has loaded. */
export async function submitSignIn(page, username, password) {
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForNavigation(), page.click('#sign-in')]);
}

/** The scopes listed on a consent or device-confirmation page, sorted, with their descriptions. */
export async function listedScopes(page) {
  const items = await page.locator('#scopes li[data-scope]').evaluateAll((lis) =>
    lis.map((li) => ({ name: li.dataset.scope, description: li.querySelector('strong')?.textContent.trim() ?? '' })),
  );
  return items.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The Python of end2end/.venv, made and filled from end2end/compat/requirements.txt on first
 * use. Test files run in parallel processes, so the first to arrive holds a lock (a directory)
 * while it installs; the others wait for it.
 */
export async function python() {
  const end2end = join(ROOT, 'end2end');
  const venv = join(end2end, '.venv');
  const bin = join(venv, 'bin', 'python');
  const lock = join(end2end, '.venv.lock');
  const run = (cmd, args) => {
    const out = spawnSync(cmd, args, { encoding: 'utf8', timeout: 300_000 });
    if (out.status !== 0) throw new Error(`${cmd} ${args.join(' ')}:\n${out.stdout}\n${out.stderr}`);
  };
  for (let waited = 0; ; waited += 200) {
    try {
      mkdirSync(lock);
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      // A lock older than the install could take was left by a killed run.
      if (Date.now() - statSync(lock).mtimeMs > 600_000) rmSync(lock, { recursive: true, force: true });
      if (waited > 600_000) throw new Error(`${lock} stayed locked: remove it`);
      await sleep(200);
    }
  }
  try {
    if (!existsSync(bin)) run('python3', ['-m', 'venv', venv]);
    run(bin, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '-r', join(end2end, 'compat', 'requirements.txt')]);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
  return bin;
}
