// keycloak-js, the pinned npm package unchanged, in a single-page app against Portcullis, in
// Chromium. The SPA is a few static pages served by an HTTP server in this process on its own
// port (so its own origin): each page imports keycloak-js's own file from node_modules, calls
// `init()` on load as any SPA does, and records what keycloak-js reports (its callbacks, and the
// messages its iframes post). Chromium does what a user does: it signs in, opens another tab,
// signs out there.
//
// Same-site vs cross-site. The SPA on http://127.0.0.1:P1 and Portcullis on http://127.0.0.1:P2
// are different origins but the same site (a site is scheme + host; ports do not count), so the
// browser treats Portcullis's frames inside the SPA as same-site: its SameSite=Lax cookies (the
// session's and the readable KEYCLOAK_SESSION) are sent and readable there. That is the set-up of
// an SPA at app.example.com with Portcullis at login.example.com, and the first part proves
// keycloak-js's full behaviour there, login-status iframe and silent check-sso included. Being
// plain http on loopback, it proves nothing about https attributes (Secure). Nor does it prove the
// cross-site case (SPA and Portcullis on different registrable domains): the last part runs the SPA
// on http://localhost:P1 against Portcullis on http://127.0.0.1:P2, a different site, where
// keycloak-js's third-party cookie check fails (the frame has no storage access, and Lax cookies
// never reach a cross-site frame), keycloak-js turns its iframe off by itself and uses top-level
// redirects instead, and sign-in, check-sso, refresh and logout still work.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { launchBrowser, newContext, repoRoot, startServer, waitHydrated, watchConsole } from './harness.mjs';

const REALM = 'default';
const USER = { username: 'alice', password: 'alice-pass-1234', email: 'alice@example.com' };
const KEYCLOAK_JS = createRequire(import.meta.url).resolve('keycloak-js');
const PINNED = JSON.parse(readFileSync(join(repoRoot(), 'end2end', 'package.json'), 'utf8')).devDependencies['keycloak-js'];
const INSTALLED = JSON.parse(readFileSync(join(repoRoot(), 'end2end', 'node_modules', 'keycloak-js', 'package.json'), 'utf8')).version;
const THIRD_PARTY_WARNING = '[KEYCLOAK] Your browser is blocking access to 3rd-party cookies';

// What every page passes to init() besides onLoad: PKCE, a 1-second login-status check, and
// keycloak-js's own logging (its warnings then reach the console, where the test sees them).
const COMMON = { pkceMethod: 'S256', checkLoginIframeInterval: 1, enableLogging: true };

/**
 * The SPA: an HTTP server on 127.0.0.1 (random port) addressed as `host` (127.0.0.1, or localhost
 * for the cross-site part). Pages: login-required.html, check-sso.html, check-sso-silent.html
 * (init with silentCheckSsoRedirectUri), silent-check-sso.html (the page keycloak-js's docs give
 * for that redirect), and /keycloak.js, the package's file as installed.
 */
async function startSpa(host, keycloakUrl, clientId) {
  const library = readFileSync(KEYCLOAK_JS, 'utf8');
  let origin;
  const page = (options) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Notes</title></head>
<body><h1>Notes</h1><p id="status">loading</p>
<script type="module">
import Keycloak from '/keycloak.js';
const spa = (window.spa = { events: [], messages: [] });
window.addEventListener('message', (e) => {
  if (typeof e.data === 'string') spa.messages.push({ origin: e.origin, data: e.data });
});
const kc = (window.kc = new Keycloak(${JSON.stringify({ url: keycloakUrl, realm: REALM, clientId })}));
for (const name of ['onReady', 'onAuthSuccess', 'onAuthError', 'onAuthRefreshSuccess', 'onAuthRefreshError', 'onAuthLogout']) {
  kc[name] = () => spa.events.push(name);
}
kc.init(${JSON.stringify(options)}).then(
  (authenticated) => { spa.result = authenticated ? 'authenticated' : 'anonymous'; },
  (e) => { spa.result = 'error'; spa.error = e instanceof Error ? e.message : JSON.stringify(e); },
).finally(() => {
  document.getElementById('status').textContent = spa.result;
  document.body.dataset.result = spa.result;
});
</script></body></html>`;
  const pages = () => ({
    '/login-required.html': page({ onLoad: 'login-required', ...COMMON }),
    '/check-sso.html': page({ onLoad: 'check-sso', ...COMMON }),
    '/check-sso-silent.html': page({
      onLoad: 'check-sso',
      silentCheckSsoRedirectUri: `${origin}/silent-check-sso.html`,
      ...COMMON,
    }),
    '/silent-check-sso.html':
      '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Silent check</title></head>' +
      '<body><script>parent.postMessage(location.href, location.origin);</script></body></html>',
  });
  const server = createServer((req, res) => {
    const path = new URL(req.url, 'http://spa').pathname;
    if (path === '/keycloak.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' });
      res.end(library);
      return;
    }
    const html = pages()[path];
    if (!html) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(html);
  });
  await new Promise((res, rej) => {
    server.once('error', rej);
    server.listen(0, '127.0.0.1', res);
  });
  origin = `http://${host}:${server.address().port}`;
  return {
    origin,
    url: (path) => `${origin}${path}`,
    close: () => new Promise((res) => {
      server.closeAllConnections?.();
      server.close(() => res());
    }),
  };
}

let server;
let browser;
let issuer;

before(async () => {
  assert.equal(INSTALLED, PINNED, 'the installed keycloak-js is the pinned one (npm ci in end2end/)');
  assert.match(PINNED, /^\d+\.\d+\.\d+$/, 'keycloak-js is pinned to an exact version');
  server = await startServer();
  issuer = `${server.baseUrl}/realms/${REALM}`;
  server.cli(['user', 'create', '--realm', REALM, '--username', USER.username, '--email', USER.email, '--password-stdin'], {
    input: `${USER.password}\n`,
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close().catch(() => {});
  await server?.stop();
});

/** Registers `clientId` for the SPA at `spa`: public, PKCE S256, Web Origins `+`. */
function registerSpa(clientId, spa) {
  const client = JSON.parse(server.cli([
    'client', 'create', '--realm', REALM, '--template', 'spa', '--client-id', clientId, '--name', 'Notes',
    '--redirect-uri', spa.url('/login-required.html'),
    '--redirect-uri', spa.url('/check-sso.html'),
    '--redirect-uri', spa.url('/check-sso-silent.html'),
    '--redirect-uri', spa.url('/silent-check-sso.html'),
    '--post-logout-redirect-uri', spa.url('/check-sso.html'),
    '--web-origin', '+', '--no-consent', '--json',
  ]));
  assert.equal(client.type, 'public');
  assert.equal(client.client_secret, undefined);
}

// Chromium's warning about keycloak-js's own iframe attributes (sandbox="allow-scripts
// allow-same-origin"), shown when such an iframe holds a page of the SPA's own origin (the
// silent check-sso page): it is about keycloak-js, not Portcullis, and the same for any server.
const SANDBOX_WARNING = 'An iframe which has both allow-scripts and allow-same-origin for its sandbox attribute can escape its sandboxing.';

/**
 * Follows one page: its main-frame navigations, the requests it makes to Portcullis (from any
 * frame) with their answers, and its console (`problems()`: errors and warnings but the one above).
 */
function follow(page) {
  const navigations = [];
  const exchanges = [];
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) navigations.push(new URL(frame.url()));
  });
  page.on('response', (res) => {
    const url = new URL(res.url());
    if (url.origin === server.baseUrl) {
      exchanges.push({ url, status: res.status(), headers: res.headers(), frame: res.frame()?.name() ?? '' });
    }
  });
  const watched = watchConsole(page);
  return {
    navigations,
    exchanges,
    console: { ...watched, problems: () => watched.problems().filter((m) => m.text !== SANDBOX_WARNING) },
    /** Requests to `path` below the realm. */
    to: (path) => exchanges.filter((e) => e.url.pathname === `/realms/${REALM}${path}`),
    reset() {
      navigations.length = 0;
      exchanges.length = 0;
      this.console.clear();
    },
  };
}

/** Waits until the SPA's init() settled and returns its outcome. */
async function initResult(page) {
  await page.waitForSelector('body[data-result]', { timeout: 20_000 });
  return page.evaluate(() => ({ result: spa.result, error: spa.error ?? null, events: [...spa.events] }));
}

/** keycloak-js's view of the user, as an app reads it. */
function view(page) {
  return page.evaluate(() => ({
    authenticated: kc.authenticated,
    username: kc.tokenParsed?.preferred_username,
    sessionId: kc.sessionId,
    idTokenSid: kc.idTokenParsed?.sid,
    refreshTyp: kc.refreshTokenParsed?.typ,
    token: kc.token,
    refreshToken: kc.refreshToken,
  }));
}

/** Signs in on Portcullis's sign-in page, finding the controls by their labels. */
async function signIn(page) {
  await page.waitForURL((u) => u.origin === server.baseUrl && u.pathname === `/realms/${REALM}/login`);
  await waitHydrated(page);
  await page.getByLabel('Username or email').fill(USER.username);
  await page.getByLabel('Password', { exact: true }).fill(USER.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** The login-status iframe's answers so far (messages from Portcullis's origin). */
function iframeAnswers(page) {
  return page.evaluate(
    (origin) => spa.messages.filter((m) => m.origin === origin).map((m) => m.data),
    server.baseUrl,
  );
}

/** Whether the browser context holds the readable session cookie. */
async function statusCookie(context) {
  return (await context.cookies(server.baseUrl + `/realms/${REALM}/`)).find((c) => c.name === 'KEYCLOAK_SESSION');
}

/** A refresh at the token endpoint outside the browser (the session's liveness, as the server sees it). */
async function refreshOutside(clientId, refreshToken) {
  return fetch(`${issuer}/protocol/openid-connect/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'refresh_token', client_id: clientId, refresh_token: refreshToken }),
  });
}

describe('keycloak-js in a same-site SPA (another port of 127.0.0.1)', () => {
  const CLIENT = 'notes-spa';
  let spa;
  let context;
  let page;
  let tab;

  before(async () => {
    spa = await startSpa('127.0.0.1', server.baseUrl, CLIENT);
    registerSpa(CLIENT, spa);
    ({ context, page } = await newContext(browser, true));
    tab = follow(page);
  });

  after(async () => {
    await context?.close().catch(() => {});
    await spa?.close();
  });

  it("init({onLoad: 'login-required'}) sends the user to Portcullis's sign-in page and back, signed in", async () => {
    await page.goto(spa.url('/login-required.html'));
    await signIn(page);
    await page.waitForURL((u) => u.origin === spa.origin && u.pathname === '/login-required.html');
    const outcome = await initResult(page);
    assert.deepEqual(outcome.result, 'authenticated', JSON.stringify(outcome));
    assert.ok(outcome.events.includes('onAuthSuccess'), JSON.stringify(outcome.events));
    const me = await view(page);
    assert.equal(me.authenticated, true);
    assert.equal(me.username, USER.username);
    assert.ok(me.sessionId, 'the access token names its SSO session (sid)');
    assert.equal(me.idTokenSid, me.sessionId);
    assert.equal(me.refreshTyp, 'Refresh', 'keycloak-js decoded the refresh token');
    // The callback's parameters are gone from the address bar.
    assert.equal(new URL(page.url()).hash, '');
    // The authorization request was keycloak-js's: code flow, PKCE S256, fragment response mode.
    const auth = tab.to('/protocol/openid-connect/auth')[0].url.searchParams;
    assert.equal(auth.get('response_type'), 'code');
    assert.equal(auth.get('code_challenge_method'), 'S256');
    assert.equal(auth.get('response_mode'), 'fragment');
    // The code exchange was a credentialed CORS request, answered for the SPA's origin exactly.
    const token = tab.to('/protocol/openid-connect/token');
    assert.equal(token.length, 1);
    assert.equal(token[0].status, 200);
    assert.equal(token[0].headers['access-control-allow-origin'], spa.origin);
    assert.equal(token[0].headers['access-control-allow-credentials'], 'true');
    // The readable session cookie is the digest of the sid, scoped to the realm.
    const cookie = await statusCookie(context);
    assert.ok(cookie, 'KEYCLOAK_SESSION is set');
    assert.equal(cookie.httpOnly, false);
    assert.equal(cookie.path, `/realms/${REALM}/`);
    const digest = await page.evaluate(async (sid) => {
      const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(sid)));
      return btoa(String.fromCharCode(...hash)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    }, me.sessionId);
    assert.equal(cookie.value, digest);
    assert.deepEqual(tab.console.problems(), [], 'no console errors or warnings');
  });

  it('uses the login-status iframe: the 3p-cookies check passes and the iframe answers every second', async () => {
    // keycloak-js checked third-party cookie access first (step 1 redirects to step 2)…
    assert.equal(tab.to('/protocol/openid-connect/3p-cookies/step1.html')[0]?.status, 200);
    assert.equal(tab.to('/protocol/openid-connect/3p-cookies/step2.html')[0]?.status, 200);
    // …found it supported (no warning, the iframe stays on)…
    assert.ok((await iframeAnswers(page)).includes('supported'));
    assert.ok(!tab.console.all().some((m) => m.text.includes(THIRD_PARTY_WARNING)));
    // …embedded the login-status iframe, whose one question to the server was answered 204
    // before its first answer…
    const iframe = page.locator('iframe[title="keycloak-session-iframe"]');
    assert.equal(await iframe.count(), 1);
    assert.equal(await iframe.getAttribute('src'), `${issuer}/protocol/openid-connect/login-status-iframe.html`);
    await page.waitForFunction(
      (origin) => spa.messages.some((m) => m.origin === origin && m.data === 'unchanged'),
      server.baseUrl,
      { timeout: 5_000 },
    );
    const init = tab.to('/protocol/openid-connect/login-status-iframe.html/init');
    assert.equal(init.length, 1, 'one origin check per iframe');
    assert.equal(init[0].status, 204);
    assert.equal(init[0].url.searchParams.get('client_id'), CLIENT);
    assert.equal(init[0].url.searchParams.get('origin'), spa.origin);
    // …and answers "unchanged" on every check, without asking the server again.
    const before = (await iframeAnswers(page)).filter((a) => a === 'unchanged').length;
    await page.waitForFunction(
      ([origin, n]) => spa.messages.filter((m) => m.origin === origin && m.data === 'unchanged').length >= n + 2,
      [server.baseUrl, before],
      { timeout: 5_000 },
    );
    assert.equal(tab.to('/protocol/openid-connect/login-status-iframe.html/init').length, 1);
    assert.equal(await page.evaluate(() => kc.authenticated), true);
  });

  it('updateToken(-1) forces a refresh and gives new tokens', async () => {
    const before = await view(page);
    tab.reset();
    assert.equal(await page.evaluate(() => kc.updateToken(-1)), true);
    const after = await view(page);
    assert.notEqual(after.token, before.token, 'a new access token');
    assert.notEqual(after.refreshToken, before.refreshToken, 'a new (rotated) refresh token');
    assert.equal(after.sessionId, before.sessionId, 'the same SSO session');
    assert.equal(after.username, USER.username);
    assert.ok((await page.evaluate(() => spa.events)).includes('onAuthRefreshSuccess'));
    const refresh = tab.to('/protocol/openid-connect/token');
    assert.equal(refresh.length, 1);
    assert.equal(refresh[0].headers['access-control-allow-origin'], spa.origin);
    // The rotation happened on the server: the spent token, presented again within the reuse
    // window (5 s), gets the very same successor (a second tab refreshing at once stays signed in).
    const again = await refreshOutside(CLIENT, before.refreshToken);
    assert.equal(again.status, 200);
    assert.equal((await again.json()).refresh_token, after.refreshToken);
    assert.deepEqual(tab.console.problems(), []);
  });

  it("a fresh page with init({onLoad: 'check-sso'}) is signed in without showing the sign-in page", async () => {
    tab.reset();
    await page.goto(spa.url('/check-sso.html'));
    const outcome = await initResult(page);
    assert.equal(outcome.result, 'authenticated', JSON.stringify(outcome));
    assert.equal((await view(page)).username, USER.username);
    // The iframe (asked first: its origin check) saw a session the page did not have yet
    // ("changed"), so keycloak-js asked Portcullis with prompt=none in the top window, which came
    // straight back with a code.
    const init = tab.to('/protocol/openid-connect/login-status-iframe.html/init');
    const auth = tab.to('/protocol/openid-connect/auth');
    assert.equal(init[0]?.status, 204);
    assert.ok(tab.exchanges.indexOf(init[0]) < tab.exchanges.indexOf(auth[0]), 'the iframe before the redirect');
    assert.equal(auth.length, 1);
    assert.equal(auth[0].url.searchParams.get('prompt'), 'none');
    assert.equal(auth[0].status, 303);
    // Every page the tab showed was the SPA's (the redirect never committed a Portcullis page).
    const paths = tab.navigations.map((u) => `${u.origin}${u.pathname}`);
    assert.ok(paths.length >= 2 && paths.every((p) => p === spa.url('/check-sso.html')), paths.join(' → '));
    assert.deepEqual(tab.console.problems(), []);
  });

  it('check-sso with silentCheckSsoRedirectUri signs in inside a hidden iframe, the page never leaving', async () => {
    tab.reset();
    await page.goto(spa.url('/check-sso-silent.html'));
    const outcome = await initResult(page);
    assert.equal(outcome.result, 'authenticated', JSON.stringify(outcome));
    assert.equal((await view(page)).username, USER.username);
    assert.deepEqual(tab.navigations.map((u) => u.pathname), ['/check-sso-silent.html'], 'one page load, no redirect');
    const auth = tab.to('/protocol/openid-connect/auth');
    assert.equal(auth.length, 1);
    assert.equal(auth[0].url.searchParams.get('prompt'), 'none');
    assert.equal(auth[0].url.searchParams.get('redirect_uri'), spa.url('/silent-check-sso.html'));
    assert.deepEqual(tab.console.problems(), []);
  });

  it('signing out in another tab is noticed by the iframe within its interval: onAuthLogout fires', async () => {
    const me = await view(page);
    tab.reset();
    const other = await context.newPage();
    await other.goto(`${issuer}/protocol/openid-connect/logout`);
    await waitHydrated(other);
    await other.getByRole('button', { name: 'Sign out' }).click();
    await other.waitForURL((u) => u.pathname === `/realms/${REALM}/logged-out`);
    await other.close();
    assert.equal(await statusCookie(context), undefined, 'logout cleared the readable cookie');
    await page.waitForFunction(() => spa.events.includes('onAuthLogout'), null, { timeout: 5_000 });
    assert.equal(await page.evaluate(() => kc.authenticated), false);
    assert.ok((await iframeAnswers(page)).includes('changed'));
    // The iframe told, not a failed refresh: the page made no token request meanwhile.
    assert.deepEqual(tab.to('/protocol/openid-connect/token'), []);
    assert.equal((await refreshOutside(CLIENT, me.refreshToken)).status, 400, 'the session really ended');
    assert.deepEqual(tab.console.problems(), []);
  });

  it('kc.logout({redirectUri}) ends the session; the check-sso page it lands on is signed out', async () => {
    await page.goto(spa.url('/login-required.html'));
    await signIn(page);
    assert.equal((await initResult(page)).result, 'authenticated');
    const me = await view(page);
    tab.reset();
    await page.evaluate((uri) => { kc.logout({ redirectUri: uri }); }, spa.url('/check-sso.html'));
    await page.waitForURL((u) => u.origin === spa.origin && u.pathname === '/check-sso.html');
    const outcome = await initResult(page);
    assert.equal(outcome.result, 'anonymous', JSON.stringify(outcome));
    // Straight through the logout endpoint (the ID token hint named this browser's session, so
    // no confirmation page)…
    const logout = tab.to('/protocol/openid-connect/logout');
    assert.equal(logout.length, 1);
    assert.equal(logout[0].status, 303);
    assert.equal(logout[0].headers.location, spa.url('/check-sso.html'));
    assert.deepEqual(tab.navigations.map((u) => `${u.origin}${u.pathname}`), [spa.url('/check-sso.html')]);
    // …and no sign-in round trip after it: the iframe found no session ("unchanged" for an
    // empty one), so keycloak-js did not even ask the authorization endpoint.
    assert.deepEqual(tab.to('/protocol/openid-connect/auth'), []);
    assert.ok((await iframeAnswers(page)).includes('unchanged'));
    assert.equal(await statusCookie(context), undefined);
    assert.equal((await refreshOutside(CLIENT, me.refreshToken)).status, 400);
    assert.deepEqual(tab.console.problems(), []);
  });

  it('with no session at all, check-sso comes back unauthenticated without leaving the page', async () => {
    const fresh = await newContext(browser, true);
    try {
      const t = follow(fresh.page);
      await fresh.page.goto(spa.url('/check-sso.html'));
      const outcome = await initResult(fresh.page);
      assert.equal(outcome.result, 'anonymous', JSON.stringify(outcome));
      assert.deepEqual(t.navigations.map((u) => u.pathname), ['/check-sso.html']);
      assert.deepEqual(await iframeAnswers(fresh.page), ['supported', 'unchanged']);
      assert.deepEqual(t.console.problems(), []);
    } finally {
      await fresh.context.close();
    }
  });

  it('a session ended on the server (back-channel logout) is seen at the next refresh, and the stale cookie goes at the next visit', async () => {
    await page.goto(spa.url('/login-required.html'));
    await signIn(page);
    assert.equal((await initResult(page)).result, 'authenticated');
    // On a check-sso page (a login-required one would send the user to sign in again at once).
    await page.goto(spa.url('/check-sso.html'));
    assert.equal((await initResult(page)).result, 'authenticated');
    const me = await view(page);
    // The application's back end ends the session (Keycloak's back-channel logout).
    const ended = await fetch(`${issuer}/protocol/openid-connect/logout`, {
      method: 'POST',
      body: new URLSearchParams({ client_id: CLIENT, refresh_token: me.refreshToken }),
    });
    assert.equal(ended.status, 204);
    // The browser was not there: its readable cookie still names the session, so the iframe
    // cannot know (as with Keycloak). The next refresh fails, and keycloak-js signs out.
    assert.ok(await statusCookie(context));
    tab.reset();
    await assert.rejects(page.evaluate(() => kc.updateToken(-1)));
    assert.ok((await page.evaluate(() => spa.events)).includes('onAuthLogout'));
    assert.equal(await page.evaluate(() => kc.authenticated), false);
    assert.ok(tab.console.all().some((m) => m.text.includes('[KEYCLOAK] Failed to refresh token')));
    // A fresh check-sso: the iframe still sees the stale cookie ("changed"), keycloak-js asks
    // with prompt=none, Portcullis finds the session over (login_required) and clears the cookie.
    tab.reset();
    await page.goto(spa.url('/check-sso.html'));
    assert.equal((await initResult(page)).result, 'anonymous');
    assert.equal(await statusCookie(context), undefined, 'the stale cookie is gone');
    const paths = tab.navigations.map((u) => `${u.origin}${u.pathname}`);
    assert.ok(!paths.includes(`${issuer}/login`), `no sign-in page: ${paths.join(' → ')}`);
    assert.deepEqual(tab.console.problems(), []);
  });
});

describe('keycloak-js in a cross-site SPA (localhost against 127.0.0.1)', () => {
  const CLIENT = 'notes-spa-cross-site';
  let spa;
  let context;
  let page;
  let tab;

  before(async () => {
    spa = await startSpa('localhost', server.baseUrl, CLIENT);
    registerSpa(CLIENT, spa);
    ({ context, page } = await newContext(browser, true));
    tab = follow(page);
  });

  after(async () => {
    await context?.close().catch(() => {});
    await spa?.close();
  });

  it('finds third-party cookies unavailable, turns its iframe off, and still signs in and refreshes', async () => {
    await page.goto(spa.url('/login-required.html'));
    await signIn(page);
    await page.waitForURL((u) => u.origin === spa.origin && u.pathname === '/login-required.html');
    const outcome = await initResult(page);
    assert.equal(outcome.result, 'authenticated', JSON.stringify(outcome));
    assert.equal((await view(page)).username, USER.username);
    assert.ok((await iframeAnswers(page)).includes('unsupported'));
    const warnings = tab.console.problems();
    assert.ok(warnings.length > 0 && warnings.every((m) => m.type === 'warning' && m.text.includes(THIRD_PARTY_WARNING)),
      JSON.stringify(warnings));
    assert.equal(await page.locator('iframe[title="keycloak-session-iframe"]').count(), 0, 'no login-status iframe');
    assert.deepEqual(tab.to('/protocol/openid-connect/login-status-iframe.html'), []);
    tab.reset();
    assert.equal(await page.evaluate(() => kc.updateToken(-1)), true);
    assert.equal(tab.to('/protocol/openid-connect/token')[0].headers['access-control-allow-origin'], spa.origin);
  });

  it('check-sso falls back to a top-level prompt=none round trip and is signed in', async () => {
    tab.reset();
    await page.goto(spa.url('/check-sso-silent.html'));
    const outcome = await initResult(page);
    assert.equal(outcome.result, 'authenticated', JSON.stringify(outcome));
    const paths = tab.navigations.map((u) => `${u.origin}${u.pathname}`);
    assert.ok(!paths.includes(`${issuer}/login`), `no sign-in page: ${paths.join(' → ')}`);
    assert.equal(tab.to('/protocol/openid-connect/auth')[0].url.searchParams.get('prompt'), 'none');
    // silentCheckSsoFallback: with third-party cookies unavailable the silent iframe is skipped
    // and the top window goes (its first-party cookie is sent there).
    assert.equal(tab.to('/protocol/openid-connect/auth')[0].url.searchParams.get('redirect_uri'), spa.url('/check-sso-silent.html'));
  });

  it('kc.logout() ends the session; check-sso then comes back unauthenticated through the same round trip', async () => {
    const me = await view(page);
    tab.reset();
    await page.evaluate((uri) => { kc.logout({ redirectUri: uri }); }, spa.url('/check-sso.html'));
    await page.waitForURL((u) => u.origin === spa.origin && u.pathname === '/check-sso.html');
    const outcome = await initResult(page);
    assert.equal(outcome.result, 'anonymous', JSON.stringify(outcome));
    assert.equal(tab.to('/protocol/openid-connect/logout')[0]?.status, 303);
    // No iframe to ask, so keycloak-js asked the authorization endpoint (prompt=none), which said
    // login_required without showing a page.
    const auth = tab.to('/protocol/openid-connect/auth');
    assert.equal(auth.length, 1);
    assert.equal(auth[0].url.searchParams.get('prompt'), 'none');
    assert.match(auth[0].headers.location, /[#&]error=login_required/);
    assert.equal((await refreshOutside(CLIENT, me.refreshToken)).status, 400);
  });
});
