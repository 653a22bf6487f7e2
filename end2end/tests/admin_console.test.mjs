// The admin console in a real browser, with JavaScript on (hydrated Leptos pages) and off (plain
// HTML forms). One server and one Chromium serve the whole file; each mode gets its own browser
// context, so its own cookies.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launchBrowser, startServer, waitHydrated, watchConsole } from './harness.mjs';

const ADMIN = 'admin';
const PASSWORD = 'correct horse battery';
const CLIENTS = ['svc-alpha', 'web-beta', 'native-gamma'];
// What the list shows: those, and the realm's built-in `admin-cli` (the admin API's way in).
const LISTED = [...CLIENTS, 'admin-cli'];
const CLIENTS_PATH = '/admin/default/console/clients';

let server;
let browser;

before(async () => {
  server = await startServer();
  server.cli(['admin', 'create', '--username', ADMIN, '--password-stdin'], { input: `${PASSWORD}\n` });
  const svc = JSON.parse(
    server.cli(['client', 'create', '--realm', 'default', '--template', 'service', '--client-id', 'svc-alpha', '--json']),
  );
  assert.equal(svc.client_id, 'svc-alpha');
  server.cli([
    'client', 'create', '--realm', 'default', '--template', 'spa', '--client-id', 'web-beta',
    '--redirect-uri', 'http://localhost:3000/cb',
  ]);
  server.cli([
    'client', 'create', '--realm', 'default', '--template', 'native', '--client-id', 'native-gamma',
    '--redirect-uri', 'http://127.0.0.1/callback',
  ]);
  browser = await launchBrowser();
});

after(async () => {
  // Each step on its own, so one failure does not leave the other running.
  await browser?.close().catch(() => {});
  await server?.stop();
});

/** The `data-client-id`s of the rows the user can see, sorted. */
async function visibleRowIds(page) {
  const ids = await page.locator('table#clients tr[data-client-id]:visible').evaluateAll((rows) =>
    rows.map((r) => r.getAttribute('data-client-id')),
  );
  return ids.sort();
}

async function signIn(page, username, password) {
  for (let attempt = 0; ; attempt++) {
    await page.goto(`${server.baseUrl}/admin/login`);
    await page.fill('input[name=username]', username);
    await page.fill('input[name=password]', password);
    await Promise.all([page.waitForNavigation(), page.click('form[action="/admin/login"] button[type=submit]')]);
    // Right after a failed attempt the account asks to wait a moment (the brute-force guard's
    // growing delay): do as the page says, once.
    const url = new URL(page.url());
    if (attempt > 0 || url.searchParams.get('error') !== 'wait') return;
    assert.match((await page.textContent('p.error[role=alert]')) ?? '', /Please wait \d+ seconds?/);
    await new Promise((r) => setTimeout(r, Number(url.searchParams.get('retry') ?? 1) * 1000 + 100));
  }
}

function pathAndQuery(page) {
  const u = new URL(page.url());
  return u.pathname + u.search;
}

describe('admin console, JavaScript on', () => {
  let context;
  let page;
  let consoleLog;

  before(async () => {
    context = await browser.newContext({ javaScriptEnabled: true });
    context.setDefaultTimeout(15_000);
    page = await context.newPage();
    consoleLog = watchConsole(page);
  });

  after(async () => {
    if (process.env.E2E_VERBOSE) console.log('browser console (JS on):', consoleLog.all());
    await context?.close().catch(() => {});
  });

  it('a wrong password shows the one generic error', async () => {
    await signIn(page, ADMIN, 'not-the-password');
    assert.equal(pathAndQuery(page), '/admin/login?error=invalid');
    const alert = page.locator('p.error[role=alert]');
    assert.equal((await alert.textContent()).trim(), 'Invalid username or password.');

    // An unknown user gets exactly the same message.
    await signIn(page, 'nobody-here', 'whatever-password');
    assert.equal(pathAndQuery(page), '/admin/login?error=invalid');
    assert.equal((await alert.textContent()).trim(), 'Invalid username or password.');
  });

  it('the login page hydrates and the toggle reveals the password', async () => {
    await page.goto(`${server.baseUrl}/admin/login`);
    await waitHydrated(page);
    const password = page.locator('input[name=password]');
    const toggle = page.locator('#toggle-password');
    await password.fill('s3cret-value');
    assert.equal(await password.getAttribute('type'), 'password');
    assert.equal((await toggle.textContent()).trim(), 'Show');

    await toggle.click();
    await page.waitForSelector('input[name=password][type=text]');
    assert.equal((await toggle.textContent()).trim(), 'Hide');
    assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
    assert.equal(await password.inputValue(), 's3cret-value', 'the typed value survives the switch');

    await toggle.click();
    await page.waitForSelector('input[name=password][type=password]');
    assert.equal((await toggle.textContent()).trim(), 'Show');
    assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
  });

  it('signing in lists the realm clients', async () => {
    await signIn(page, ADMIN, PASSWORD);
    assert.equal(pathAndQuery(page), CLIENTS_PATH);
    await waitHydrated(page);
    assert.deepEqual(await visibleRowIds(page), [...LISTED].sort());
    assert.equal((await page.textContent('#page-range')).trim(), `1–${LISTED.length} of ${LISTED.length}`);
    assert.equal((await page.textContent('#admin-name')).trim(), ADMIN);
    const svc = page.locator('tr[data-client-id="svc-alpha"] td');
    assert.equal((await svc.nth(1).textContent()).trim(), 'service');
    assert.equal((await svc.nth(2).textContent()).trim(), 'confidential');
  });

  it('searching asks the server and moves without reloading the page', async () => {
    assert.equal(pathAndQuery(page), CLIENTS_PATH);
    await waitHydrated(page);
    // A marker on window disappears if the document is ever replaced.
    await page.evaluate(() => {
      window.__e2eMarker = 'still-here';
    });
    const search = page.getByRole('searchbox', { name: 'Search clients' });
    await search.fill('alpha');
    await Promise.all([page.waitForURL(/[?&]q=alpha(&|$)/), search.press('Enter')]);
    await page.waitForFunction(() => document.querySelectorAll('tr[data-client-id]').length === 1);
    assert.deepEqual(await visibleRowIds(page), ['svc-alpha']);
    assert.equal((await page.textContent('#page-range')).trim(), '1–1 of 1');

    await search.fill('zzz-no-such-client');
    await Promise.all([page.waitForURL(/q=zzz/), search.press('Enter')]);
    await page.waitForFunction(() => document.querySelectorAll('tr[data-client-id]').length === 0);
    assert.equal((await page.textContent('#page-range')).trim(), 'No results');

    await search.fill('');
    await Promise.all([page.waitForURL(/[?&]q=(&|$)/), search.press('Enter')]);
    await page.waitForFunction((n) => document.querySelectorAll('tr[data-client-id]').length === n, LISTED.length);
    assert.equal(await page.evaluate(() => window.__e2eMarker), 'still-here', 'same document');
  });

  it('signing out ends the session', async () => {
    await Promise.all([page.waitForNavigation(), page.click('form[action="/admin/logout"] button[type=submit]')]);
    assert.equal(pathAndQuery(page), '/admin/login');
    await page.goto(`${server.baseUrl}${CLIENTS_PATH}`);
    assert.equal(pathAndQuery(page), '/admin/login', 'the clients page sends anonymous visitors to sign in');
  });

  it('the browser console shows no errors (hydration, panics, failed requests)', () => {
    // The failed sign-ins answer with redirects, not errors, so nothing is expected here.
    assert.deepEqual(consoleLog.problems(), []);
  });
});

describe('admin console, JavaScript off', () => {
  let context;
  let page;

  before(async () => {
    context = await browser.newContext({ javaScriptEnabled: false });
    context.setDefaultTimeout(15_000);
    page = await context.newPage();
  });

  after(async () => {
    await context?.close().catch(() => {});
  });

  it('the login form carries a CSRF token and never hydrates', async () => {
    await page.goto(`${server.baseUrl}/admin/login`);
    const csrf = page.locator('form[action="/admin/login"][method=post] input[type=hidden][name=csrf]');
    assert.equal(await csrf.count(), 1);
    assert.match(await csrf.getAttribute('value'), /^\S{16,}$/, 'a non-trivial token');
    assert.equal(await page.getAttribute('body', 'data-hydrated'), null, 'scripts did not run');
    // Without hydration the toggle is inert; the password stays masked.
    await page.click('#toggle-password');
    assert.equal(await page.getAttribute('input[name=password]', 'type'), 'password');
  });

  it('a wrong password shows the generic error', async () => {
    await signIn(page, ADMIN, 'not-the-password');
    assert.equal(pathAndQuery(page), '/admin/login?error=invalid');
    assert.equal((await page.textContent('p.error[role=alert]')).trim(), 'Invalid username or password.');
  });

  it('signing in through the plain form lists the clients', async () => {
    await signIn(page, ADMIN, PASSWORD);
    assert.equal(pathAndQuery(page), CLIENTS_PATH);
    assert.deepEqual(await visibleRowIds(page), [...LISTED].sort());
    assert.equal((await page.textContent('#page-range')).trim(), `1–${LISTED.length} of ${LISTED.length}`);
    assert.equal((await page.textContent('#admin-name')).trim(), ADMIN);
    const logoutCsrf = page.locator('form[action="/admin/logout"] input[type=hidden][name=csrf]');
    assert.equal(await logoutCsrf.count(), 1);
    assert.match(await logoutCsrf.getAttribute('value'), /^\S{16,}$/);
  });

  it('searching submits the GET form', async () => {
    const search = page.getByRole('searchbox', { name: 'Search clients' });
    await search.fill('beta');
    await Promise.all([page.waitForURL(/[?&]q=beta(&|$)/), search.press('Enter')]);
    assert.equal(pathAndQuery(page), `${CLIENTS_PATH}?q=beta`);
    assert.deepEqual(await visibleRowIds(page), ['web-beta']);
    assert.equal((await page.textContent('#page-range')).trim(), '1–1 of 1');
    assert.equal(await search.inputValue(), 'beta', 'the field keeps the query');

    // An empty query shows everything again.
    await search.fill('');
    await Promise.all([page.waitForURL(/[?&]q=(&|$)/), search.press('Enter')]);
    assert.deepEqual(await visibleRowIds(page), [...LISTED].sort());
  });

  it('signing out through the plain form ends the session', async () => {
    await Promise.all([page.waitForNavigation(), page.click('form[action="/admin/logout"] button[type=submit]')]);
    assert.equal(pathAndQuery(page), '/admin/login');
    await page.goto(`${server.baseUrl}${CLIENTS_PATH}`);
    assert.equal(pathAndQuery(page), '/admin/login');
  });
});
