// Federated sign-in (issue 12, items 2 and 4) in a real browser, with a second Portcullis
// process as the upstream provider. The upstream is served as http://localhost:PORT and the
// downstream (the server under test) as http://127.0.0.1:PORT: two hosts, so the browser keeps
// their cookies apart, as it would for two real sites (cookies ignore ports).
//
// The upstream has the users and a confidential client whose redirect URI is the downstream's
// broker endpoint; the downstream has the provider (`portcullis idp create`, by the upstream's
// discovery URL) and its own applications: a web app (openid-client on the other end, its
// callback a stand-in server that only records the URL) and a device client. Chromium does what a
// person does: "Sign in with Corp SSO", sign in at the upstream, answer the consent pages and, on
// a first sign-in that asks for it, the downstream's "Review your profile" page.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import {
  launchBrowser,
  newContext,
  pathOf,
  repoRoot,
  startCallbackServer,
  startServer,
  waitHydrated,
  watchConsole,
} from './harness.mjs';

const REALM = 'default';
const IDP = { alias: 'corp', name: 'Corp SSO' };
const ROOT_PASSWORD = 'correct horse battery';
// Upstream accounts.
const ALICE = { username: 'alice', password: 'alice-pass-1234', email: 'alice@example.com', firstName: 'Alice', lastName: 'Liddell' };
const CAROL = { username: 'carol', password: 'carol-pass-9012', email: 'carol@example.com', firstName: 'Carol', lastName: 'Danvers' };
const DAVE = { username: 'dave', password: 'dave-pass-3456', email: 'dave@example.com', firstName: 'Dave', lastName: 'Bowman' };
const BOB = { username: 'bob', password: 'bob-pass-5678', email: 'bob@example.com', firstName: 'Bob', lastName: 'Builder' };
// The upstream's client for the downstream, and the downstream's applications.
const BROKER_CLIENT = 'portcullis-down';
const SHOP = { id: 'shop', name: 'Acme Shop' };
const TV = { id: 'tv', name: 'Living-room TV' };
const SCOPE = 'openid profile email';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const SHOTS = join(repoRoot(), 'end2end', 'test-results', 'screenshots');

let up; // the upstream provider (localhost)
let down; // the server under test (127.0.0.1)
let browser;
let callback;
let shop; // openid-client's configuration for the shop
let downAdmin;
let device; // the TV's device authorization: { auth, polledAt }

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  callback = await startCallbackServer();
  [up, down] = await Promise.all([startServer({ publicHost: 'localhost' }), startServer()]);
  assert.match(up.baseUrl, /^http:\/\/localhost:\d+$/);
  assert.match(down.baseUrl, /^http:\/\/127\.0\.0\.1:\d+$/);

  // Upstream: its users (names and verified emails through the admin API), and the downstream
  // registered as a confidential web client (consent on, as for any third-party app).
  up.cli(['admin', 'create', '--username', 'root', '--password-stdin'], { input: `${ROOT_PASSWORD}\n` });
  const upAdmin = await adminApi(up);
  for (const u of [ALICE, BOB, CAROL, DAVE]) {
    const res = await upAdmin('POST', `/admin/realms/${REALM}/users`, {
      username: u.username,
      email: u.email,
      emailVerified: true,
      firstName: u.firstName,
      lastName: u.lastName,
      enabled: true,
      credentials: [{ type: 'password', value: u.password, temporary: false }],
    });
    assert.equal(res.status, 201, await res.text());
  }
  const brokerEndpoint = `${down.baseUrl}/realms/${REALM}/broker/${IDP.alias}/endpoint`;
  const registered = JSON.parse(up.cli([
    'client', 'create', '--realm', REALM, '--template', 'web', '--client-id', BROKER_CLIENT, '--name', 'Acme Portcullis',
    '--redirect-uri', brokerEndpoint, '--json',
  ]));

  // Downstream: the provider from the upstream's discovery document, the shop and the TV.
  const idp = JSON.parse(down.cli([
    'idp', 'create', '--realm', REALM, '--alias', IDP.alias, '--display-name', IDP.name,
    '--discovery-url', `${up.baseUrl}/realms/${REALM}/.well-known/openid-configuration`,
    '--client-id', BROKER_CLIENT, '--client-secret-stdin', '--json',
  ], { input: `${registered.client_secret}\n` }));
  assert.equal(idp.alias, IDP.alias);
  const web = JSON.parse(down.cli([
    'client', 'create', '--realm', REALM, '--template', 'web', '--client-id', SHOP.id, '--name', SHOP.name,
    '--redirect-uri', callback.url('/cb'), '--json',
  ]));
  down.cli(['client', 'create', '--realm', REALM, '--template', 'device', '--client-id', TV.id, '--name', TV.name]);
  down.cli(['admin', 'create', '--username', 'root', '--password-stdin'], { input: `${ROOT_PASSWORD}\n` });
  downAdmin = await adminApi(down);
  shop = await oidc.discovery(
    new URL(`${down.baseUrl}/realms/${REALM}`),
    SHOP.id,
    { client_secret: web.client_secret },
    oidc.ClientSecretBasic(web.client_secret),
    { execute: [oidc.allowInsecureRequests] },
  );
  browser = await launchBrowser();
  // The TV asks for its code now, so its polling interval has passed by the time it is approved.
  const auth = await devicePost('/auth/device', { client_id: TV.id, scope: 'openid profile' });
  assert.equal(auth.status, 200, JSON.stringify(auth.body));
  const pending = await devicePost('/token', { grant_type: DEVICE_GRANT, device_code: auth.body.device_code, client_id: TV.id });
  assert.equal(pending.body.error, 'authorization_pending');
  device = { auth: auth.body, polledAt: Date.now() };
});

after(async () => {
  await browser?.close().catch(() => {});
  await Promise.allSettled([up?.stop(), down?.stop()]);
  await callback?.close();
});

/** `fetch` for a server's admin REST API as its console administrator (master's admin-cli). */
async function adminApi(server) {
  const res = await fetch(`${server.baseUrl}/realms/master/protocol/openid-connect/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', client_id: 'admin-cli', username: 'root', password: ROOT_PASSWORD }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  const { access_token: token } = await res.json();
  return (method, path, body) =>
    fetch(`${server.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
}

/** The downstream's users named `username` (exact), with their provider links. */
async function downstreamUsers(username) {
  const res = await downAdmin('GET', `/admin/realms/${REALM}/users?username=${username}&exact=true`);
  assert.equal(res.status, 200);
  const users = await res.json();
  for (const u of users) {
    const links = await downAdmin('GET', `/admin/realms/${REALM}/users/${u.id}/federated-identity`);
    assert.equal(links.status, 200);
    u.links = await links.json();
  }
  return users;
}

/** A device-flow request of the TV at the downstream's `/protocol/openid-connect{path}`. */
function devicePost(path, fields) {
  return fetch(`${down.baseUrl}/realms/${REALM}/protocol/openid-connect${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields),
  }).then(async (r) => ({ status: r.status, body: await r.json() }));
}

async function downstreamUserCount() {
  const res = await downAdmin('GET', `/admin/realms/${REALM}/users/count`);
  assert.equal(res.status, 200);
  return Number(await res.text());
}

async function shot(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/**
 * Console problems, less two expected lines: the status Chromium logs for an error page's own
 * 4xx, and, with JavaScript off, the script Chromium then does not load (reported as `csp`).
 */
function problems(consoleLog, { js, expectedStatusUrl }) {
  const expected = (m) =>
    (expectedStatusUrl && m.type === 'error' && m.url.startsWith(expectedStatusUrl) && /status of 4\d\d/.test(m.text)) ||
    (!js && m.type === 'requestfailed' && new URL(m.url).pathname.startsWith('/pkg/') && m.text.endsWith(': csp'));
  return consoleLog.problems().filter((m) => !expected(m));
}

/** A fresh authorization request of the shop: the URL and what the shop keeps to check the answer. */
async function shopRequest() {
  const pkceCodeVerifier = oidc.randomPKCECodeVerifier();
  const checks = { pkceCodeVerifier, expectedState: oidc.randomState(), expectedNonce: oidc.randomNonce(), idTokenExpected: true };
  const url = oidc.buildAuthorizationUrl(shop, {
    redirect_uri: callback.url('/cb'),
    scope: SCOPE,
    state: checks.expectedState,
    nonce: checks.expectedNonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(pkceCodeVerifier),
    code_challenge_method: 'S256',
  });
  return { url, checks };
}

/** On the downstream's sign-in page (hydrated with JS on): the provider's link, by its name. */
async function providerLink(page, js) {
  assert.equal(new URL(page.url()).origin, down.baseUrl);
  assert.equal(pathOf(page), `/realms/${REALM}/login`);
  if (js) await waitHydrated(page);
  const link = page.getByRole('link', { name: `Sign in with ${IDP.name}` });
  assert.equal(await link.count(), 1);
  const href = new URL(await link.getAttribute('href'), page.url());
  assert.equal(href.pathname, `/realms/${REALM}/broker/${IDP.alias}/login`);
  assert.equal(href.searchParams.get('rid'), new URL(page.url()).searchParams.get('rid'), 'bound to the pending request');
  return link;
}

/** Clicks the provider's link; resolves on the upstream's sign-in page (checked). */
async function toUpstream(page, link, js) {
  await Promise.all([page.waitForURL((u) => u.origin === up.baseUrl), link.click()]);
  assert.equal(pathOf(page), `/realms/${REALM}/login`, 'the upstream asks to sign in');
  if (js) await waitHydrated(page);
  assert.match(await page.getByRole('heading', { level: 1 }).textContent(), /^Sign in to /);
  assert.match(await page.textContent('#client-name'), /Acme Portcullis/, 'the upstream names the downstream');
  assert.equal(await page.getByRole('link', { name: /^Sign in with/ }).count(), 0, 'the upstream has no providers');
}

/** Signs in at the upstream's page; resolves once the browser has left the page. */
async function upstreamSignIn(page, user) {
  await page.getByLabel('Username or email').fill(user.username);
  await page.getByLabel('Password', { exact: true }).fill(user.password);
  await Promise.all([page.waitForURL((u) => !(u.origin === up.baseUrl && u.pathname.endsWith('/login'))), page.getByRole('button', { name: 'Sign in' }).click()]);
}

/** Answers a consent page (upstream's or downstream's) if one is shown. Returns whether it was. */
async function consentIfAsked(page, origin, js, decision = 'Allow') {
  const url = new URL(page.url());
  if (url.origin !== origin || url.pathname !== `/realms/${REALM}/consent`) return false;
  if (js) await waitHydrated(page);
  await Promise.all([page.waitForURL((u) => u.href !== url.href), page.getByRole('button', { name: decision }).click()]);
  return true;
}

/** The callback's URL once the browser lands there. */
function atCallback(url) {
  return url.origin === callback.origin && url.pathname === '/cb';
}

/** Exchanges the callback's code through openid-client (state, PKCE, nonce, ID token checked). */
async function exchange(callbackUrl, checks) {
  const tokens = await oidc.authorizationCodeGrant(shop, callbackUrl, checks);
  return { tokens, claims: tokens.claims() };
}

describe('first federated sign-in, JavaScript on: the user is made from the upstream account', () => {
  let context;
  let page;
  let consoleLog;

  before(async () => {
    ({ context, page } = await newContext(browser, true));
    consoleLog = watchConsole(page);
  });
  after(async () => {
    if (process.env.E2E_VERBOSE) console.log('browser console (JS on):', consoleLog.all());
    await context?.close().catch(() => {});
  });

  it('shop → downstream sign-in → Corp SSO → upstream sign-in and consent → back → the shop gets its code', async () => {
    assert.deepEqual(await downstreamUsers(ALICE.username), [], 'no alice downstream yet');
    const before = await downstreamUserCount();
    const { url, checks } = await shopRequest();
    await page.goto(url.href);
    const link = await providerLink(page, true);
    await shot(page, 'federated-downstream-sign-in');
    await toUpstream(page, link, true);
    await shot(page, 'federated-upstream-sign-in');
    await upstreamSignIn(page, ALICE);
    assert.ok(await consentIfAsked(page, up.baseUrl, true), 'the upstream asks alice about the downstream once');
    // Back at the downstream: its own consent for the shop, then the shop's callback.
    const landed = callback.next('/cb');
    if (!atCallback(new URL(page.url()))) {
      assert.equal(new URL(page.url()).origin, down.baseUrl, `back at the downstream: ${page.url()}`);
      assert.ok(await consentIfAsked(page, down.baseUrl, true), `the downstream's consent: ${page.url()}`);
    }
    const callbackUrl = await landed;
    await page.waitForURL(atCallback);
    assert.equal(callbackUrl.searchParams.get('error'), null);

    const { claims } = await exchange(callbackUrl, checks);
    assert.equal(claims.iss, `${down.baseUrl}/realms/${REALM}`, 'a token of the downstream, not the upstream');
    assert.equal(claims.preferred_username, ALICE.username);
    assert.equal(claims.email, ALICE.email);
    assert.equal(claims.given_name, ALICE.firstName);
    assert.equal(claims.family_name, ALICE.lastName);

    const users = await downstreamUsers(ALICE.username);
    assert.equal(users.length, 1, 'one user made downstream');
    assert.equal(users[0].id, claims.sub);
    assert.equal(users[0].email, ALICE.email);
    assert.deepEqual(users[0].links.map((l) => [l.identityProvider, l.userName]), [[IDP.alias, ALICE.username]]);
    assert.equal(await downstreamUserCount(), before + 1);
    assert.deepEqual(problems(consoleLog, { js: true }), []);
  });
});

describe('the next federated sign-in, JavaScript off: the link is reused', () => {
  let context;
  let page;
  let consoleLog;

  before(async () => {
    ({ context, page } = await newContext(browser, false));
    consoleLog = watchConsole(page);
  });
  after(async () => {
    await context?.close().catch(() => {});
  });

  it('plain links and forms all the way; the same downstream user, no new one', async () => {
    const [alice] = await downstreamUsers(ALICE.username);
    const before = await downstreamUserCount();
    const { url, checks } = await shopRequest();
    await page.goto(url.href);
    const link = await providerLink(page, false);
    await toUpstream(page, link, false);
    await upstreamSignIn(page, ALICE);
    assert.equal(await consentIfAsked(page, up.baseUrl, false), false, 'the upstream remembers the consent');
    const landed = callback.next('/cb');
    if (!atCallback(new URL(page.url()))) await consentIfAsked(page, down.baseUrl, false);
    const callbackUrl = await landed;
    const { claims } = await exchange(callbackUrl, checks);
    assert.equal(claims.sub, alice.id, 'the linked user');
    assert.equal(claims.preferred_username, ALICE.username);
    assert.equal(await downstreamUserCount(), before, 'no user made');
    assert.deepEqual((await downstreamUsers(ALICE.username))[0].links.map((l) => l.identityProvider), [IDP.alias]);
    assert.deepEqual(problems(consoleLog, { js: false }), []);
  });
});

for (const js of [true, false]) {
  describe(`cancelling at the upstream, JavaScript ${js ? 'on' : 'off'}: a clear page, nothing made`, () => {
    let context;
    let page;
    let consoleLog;

    before(async () => {
      ({ context, page } = await newContext(browser, js));
      consoleLog = watchConsole(page);
    });
    after(async () => {
      await context?.close().catch(() => {});
    });

    it('Deny at the upstream consent comes back as "Sign-in cancelled" at the downstream', async () => {
      const before = await downstreamUserCount();
      const codesBefore = callback.requests.length;
      const { url } = await shopRequest();
      await page.goto(url.href);
      await toUpstream(page, await providerLink(page, js), js);
      await upstreamSignIn(page, BOB);
      const endpoint = `${down.baseUrl}/realms/${REALM}/broker/${IDP.alias}/endpoint`;
      const answer = page.waitForResponse((r) => r.url().startsWith(endpoint));
      // Bob has not consented to the downstream: the upstream asks, and he says no.
      assert.equal(pathOf(page), `/realms/${REALM}/consent`);
      assert.equal(new URL(page.url()).origin, up.baseUrl);
      assert.ok(await consentIfAsked(page, up.baseUrl, js, 'Deny'));
      const res = await answer;
      assert.equal(res.status(), 400, 'a refusal, not a server error');
      assert.equal(new URL(page.url()).origin, down.baseUrl);
      await page.getByRole('heading', { name: 'Sign-in cancelled' }).waitFor();
      assert.match(await page.textContent('main, body'), new RegExp(`Signing in with ${IDP.name} was cancelled`));
      if (js) await shot(page, 'federated-cancelled');
      assert.deepEqual(await downstreamUsers(BOB.username), [], 'no user made');
      assert.equal(await downstreamUserCount(), before);
      assert.equal(callback.requests.length, codesBefore, 'nothing sent to the shop');
      assert.deepEqual(problems(consoleLog, { js, expectedStatusUrl: endpoint }), []);
    });
  });
}

describe('device flow, JavaScript on: the device page sign-in offers the provider', () => {
  let context;
  let page;
  let consoleLog;

  before(async () => {
    ({ context, page } = await newContext(browser, true));
    consoleLog = watchConsole(page);
  });
  after(async () => {
    await context?.close().catch(() => {});
  });

  it('code → sign in with Corp SSO → approve; the device gets tokens for the linked user', async () => {
    const [alice] = await downstreamUsers(ALICE.username);
    const { auth, polledAt } = device;
    await page.goto(auth.verification_uri_complete);
    await waitHydrated(page);
    await Promise.all([page.waitForURL((u) => u.pathname.endsWith('/login')), page.getByRole('button', { name: 'Continue' }).click()]);
    const link = await providerLink(page, true);
    assert.equal((await page.textContent('#client-name')).trim(), TV.name);
    await shot(page, 'federated-device-sign-in');
    await toUpstream(page, link, true);
    await upstreamSignIn(page, ALICE);
    // Consent at the upstream was given in the first sign-in: straight back to the device page.
    await page.waitForURL((u) => u.origin === down.baseUrl && u.pathname === `/realms/${REALM}/device`);
    await waitHydrated(page);
    assert.match(await page.textContent('main'), new RegExp(`Signed in as\\s+${ALICE.username}\\b`));
    await Promise.all([page.waitForURL((u) => u.searchParams.get('done') === 'approved'), page.getByRole('button', { name: 'Approve' }).click()]);
    await page.getByRole('heading', { name: /you can go back to your device/ }).waitFor();

    // The next poll, an interval after the first (the server's clock counts whole seconds), gets the tokens.
    await sleep(Math.max(0, polledAt + auth.interval * 1000 + 1_100 - Date.now()));
    const tokens = await devicePost('/token', { grant_type: DEVICE_GRANT, device_code: auth.device_code, client_id: TV.id });
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    const claims = JSON.parse(Buffer.from(tokens.body.id_token.split('.')[1], 'base64url').toString());
    assert.equal(claims.sub, alice.id, 'the user linked in the first sign-in');
    assert.equal(claims.preferred_username, ALICE.username);
    assert.deepEqual(problems(consoleLog, { js: true }), []);
  });
});

describe('first sign-in with the provider\'s review on, JavaScript on: "Review your profile"', () => {
  let context;
  let page;
  let consoleLog;

  before(async () => {
    ({ context, page } = await newContext(browser, true));
    consoleLog = watchConsole(page);
    down.cli(['idp', 'update', '--realm', REALM, IDP.alias, '--review-profile', 'on']);
  });
  after(async () => {
    down.cli(['idp', 'update', '--realm', REALM, IDP.alias, '--review-profile', 'missing']);
    await context?.close().catch(() => {});
  });

  it('the page is prefilled from the upstream claims; the username chosen there is the new user\'s', async () => {
    const before = await downstreamUserCount();
    const { url, checks } = await shopRequest();
    await page.goto(url.href);
    await toUpstream(page, await providerLink(page, true), true);
    await upstreamSignIn(page, CAROL);
    await consentIfAsked(page, up.baseUrl, true);
    await page.getByRole('heading', { name: 'Review your profile' }).waitFor();
    assert.equal(new URL(page.url()).origin, down.baseUrl);
    await waitHydrated(page);
    const field = (label) => page.getByLabel(label, { exact: true });
    assert.equal(await field('Username').inputValue(), CAROL.username);
    assert.equal(await field('Email').inputValue(), CAROL.email);
    assert.equal(await field('First name').inputValue(), CAROL.firstName);
    assert.equal(await field('Last name').inputValue(), CAROL.lastName);
    assert.equal(await downstreamUserCount(), before, 'nothing made before Continue');
    await shot(page, 'federated-review-profile');
    await field('Username').fill('carol.d');
    const landed = callback.next('/cb');
    await Promise.all([page.waitForURL((u) => !u.pathname.endsWith('/login')), page.getByRole('button', { name: 'Continue' }).click()]);
    if (!atCallback(new URL(page.url()))) assert.ok(await consentIfAsked(page, down.baseUrl, true), page.url());
    const { claims } = await exchange(await landed, checks);
    assert.equal(claims.preferred_username, 'carol.d');
    assert.equal(claims.email, CAROL.email);
    assert.equal(claims.given_name, CAROL.firstName);
    const [carol] = await downstreamUsers('carol.d');
    assert.equal(carol.id, claims.sub);
    assert.deepEqual(carol.links.map((l) => [l.identityProvider, l.userName]), [[IDP.alias, CAROL.username]]);
    assert.equal(await downstreamUserCount(), before + 1);
    assert.deepEqual(problems(consoleLog, { js: true }), []);
  });
});

describe('first sign-in with an email another user has, JavaScript off: the review page says so beside Email', () => {
  let context;
  let page;
  let consoleLog;

  before(async () => {
    ({ context, page } = await newContext(browser, false));
    consoleLog = watchConsole(page);
    // A local account of the downstream already has Dave's upstream address (review: missing, the default).
    down.cli(['user', 'create', '--realm', REALM, '--username', 'dave-local', '--email', DAVE.email, '--password-stdin'], {
      input: 'dave-local-pass-1\n',
    });
  });
  after(async () => {
    await context?.close().catch(() => {});
  });

  it('another address on the page, Continue: the new user has it, the local account is untouched', async () => {
    const before = await downstreamUserCount();
    const { url, checks } = await shopRequest();
    await page.goto(url.href);
    await toUpstream(page, await providerLink(page, false), false);
    await upstreamSignIn(page, DAVE);
    await consentIfAsked(page, up.baseUrl, false);
    await page.getByRole('heading', { name: 'Review your profile' }).waitFor();
    const email = page.getByLabel('Email', { exact: true });
    assert.equal(await email.inputValue(), DAVE.email);
    assert.equal(await email.getAttribute('aria-invalid'), 'true');
    assert.match(await page.locator('#email-error').textContent(), /An account with this email address exists already/);
    assert.equal(await page.getByLabel('Username', { exact: true }).inputValue(), DAVE.username);
    await email.fill('dave@corp.example.com');
    const landed = callback.next('/cb');
    await Promise.all([page.waitForURL((u) => !u.pathname.endsWith('/login')), page.getByRole('button', { name: 'Continue' }).click()]);
    if (!atCallback(new URL(page.url()))) assert.ok(await consentIfAsked(page, down.baseUrl, false), page.url());
    const { claims } = await exchange(await landed, checks);
    assert.equal(claims.preferred_username, DAVE.username);
    assert.equal(claims.email, 'dave@corp.example.com');
    const [local] = await downstreamUsers('dave-local');
    assert.equal(local.email, DAVE.email);
    assert.deepEqual(local.links, [], 'the local account is not linked');
    assert.equal(await downstreamUserCount(), before + 1);
    assert.deepEqual(problems(consoleLog, { js: false }), []);
  });
});
