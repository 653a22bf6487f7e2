// End-user sign-in through the authorization code flow with PKCE, in a real browser, with a real
// OpenID Connect client library on the other end: npm `openid-client` (panva, v6) discovers the
// realm, builds the authorization URL (S256 PKCE, state, nonce), exchanges the code, validates
// the ID token, calls userinfo and refreshes. Chromium only does what a user does: it signs in
// and answers the consent page. Its redirect lands on a stand-in for the application's callback
// (a tiny HTTP server in this process) that only records the URL, so the browser never exchanges
// the code. One server and one Chromium serve the whole file; each part gets its own browser
// context (its own cookies, so its own SSO session).

import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import {
  launchBrowser,
  listedScopes,
  newContext,
  pathOf,
  startCallbackServer,
  startServer,
  submitSignIn,
  waitHydrated,
  watchConsole,
} from './harness.mjs';

const REALM = 'default';
const USERS = {
  alice: { password: 'alice-pass-1234', email: 'alice@example.com' },
  bob: { password: 'bob-pass-5678', email: 'bob@example.com' },
  carol: { password: 'carol-pass-9012', email: 'carol@example.com' },
};
const SPA = { id: 'notes-spa', name: 'Acme Notes' };
const WEB = { id: 'ledger-web', name: 'Acme Ledger' };
const PORTAL = { id: 'portal', name: 'Staff Portal' };
const SCOPE = 'openid profile email';
// The refresh-token reuse window (the client default), in seconds.
const REUSE_WINDOW_S = 5;

let server;
let browser;
let callback;
let issuer;
let web; // { client_secret }

before(async () => {
  callback = await startCallbackServer();
  server = await startServer();
  issuer = `${server.baseUrl}/realms/${REALM}`;
  for (const [username, u] of Object.entries(USERS)) {
    server.cli(['user', 'create', '--realm', REALM, '--username', username, '--email', u.email, '--password-stdin'], {
      input: `${u.password}\n`,
    });
  }
  const spa = JSON.parse(server.cli([
    'client', 'create', '--realm', REALM, '--template', 'spa', '--client-id', SPA.id, '--name', SPA.name,
    '--redirect-uri', callback.url('/cb'), '--json',
  ]));
  assert.equal(spa.type, 'public');
  assert.equal(spa.client_secret, undefined);
  web = JSON.parse(server.cli([
    'client', 'create', '--realm', REALM, '--template', 'web', '--client-id', WEB.id, '--name', WEB.name,
    '--redirect-uri', callback.url('/web/cb'), '--id-token-alg', 'ES256', '--json',
  ]));
  assert.equal(web.type, 'confidential');
  assert.match(web.client_secret, /^\S{20,}$/);
  server.cli([
    'client', 'create', '--realm', REALM, '--template', 'spa', '--client-id', PORTAL.id, '--name', PORTAL.name,
    '--redirect-uri', callback.url('/portal/cb'), '--post-logout-redirect-uri', callback.url('/portal/bye'),
    '--no-consent', '--json',
  ]);
  browser = await launchBrowser();
});

after(async () => {
  // Each step on its own, so one failure does not leave the others running.
  await browser?.close().catch(() => {});
  await server?.stop();
  await callback?.close();
});

/** openid-client's view of the realm for one client (discovery over plain http, as in tests). */
function discover(clientId, { secret, metadata = {} } = {}) {
  return oidc.discovery(
    new URL(issuer),
    clientId,
    secret ? { client_secret: secret, ...metadata } : metadata,
    secret ? oidc.ClientSecretBasic(secret) : oidc.None(),
    { execute: [oidc.allowInsecureRequests] },
  );
}

/** A fresh authorization request: the URL to open and what the client keeps to check the answer. */
async function authorizationRequest(config, redirectUri, extra = {}) {
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const checks = {
    pkceCodeVerifier: codeVerifier,
    expectedState: oidc.randomState(),
    expectedNonce: oidc.randomNonce(),
    idTokenExpected: true,
  };
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: SCOPE,
    state: checks.expectedState,
    nonce: checks.expectedNonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    ...extra,
  });
  return { url, checks, redirectUri };
}

/** Runs `fn` and returns the OAuth error it rejects with (fails if it does not reject). */
async function oauthError(fn) {
  try {
    await fn();
  } catch (e) {
    assert.ok(e instanceof oidc.ResponseBodyError, `expected an OAuth error response, got ${e?.stack ?? e}`);
    return e;
  }
  assert.fail('expected the request to be refused');
}

/** A `waitForURL` predicate: the browser is on the callback server at `path`. */
function atCallback(path) {
  return (url) => url.origin === callback.origin && url.pathname === path;
}

describe('code flow with PKCE, JavaScript on, openid-client on the client side', () => {
  let context;
  let page;
  let consoleLog;
  let config;
  let request;
  let callbackUrl;
  let tokens;
  let claims;
  const browserTokenRequests = [];

  before(async () => {
    ({ context, page } = await newContext(browser, true));
    consoleLog = watchConsole(page);
    page.on('request', (r) => {
      if (new URL(r.url()).pathname.endsWith('/protocol/openid-connect/token')) browserTokenRequests.push(r.url());
    });
  });

  after(async () => {
    if (process.env.E2E_VERBOSE) console.log('browser console (JS on):', consoleLog.all());
    await context?.close().catch(() => {});
  });

  it('openid-client discovers the realm', async () => {
    config = await discover(SPA.id);
    const meta = config.serverMetadata();
    assert.equal(meta.issuer, issuer);
    assert.equal(meta.authorization_endpoint, `${issuer}/protocol/openid-connect/auth`);
    assert.equal(meta.token_endpoint, `${issuer}/protocol/openid-connect/token`);
    assert.equal(meta.userinfo_endpoint, `${issuer}/protocol/openid-connect/userinfo`);
    assert.equal(meta.end_session_endpoint, `${issuer}/protocol/openid-connect/logout`);
    assert.ok(meta.jwks_uri.startsWith(`${issuer}/`), meta.jwks_uri);
    assert.ok(meta.code_challenge_methods_supported.includes('S256'));
    assert.ok(meta.response_types_supported.includes('code'));
    assert.ok(meta.scopes_supported.includes('openid'));
    // RFC 9207: openid-client then insists on `iss` in every authorization response.
    assert.equal(meta.authorization_response_iss_parameter_supported, true);
    assert.ok(meta.id_token_signing_alg_values_supported.includes('ES256'));
  });

  it('the authorization request leads to the sign-in page, which hydrates', async () => {
    request = await authorizationRequest(config, callback.url('/cb'));
    assert.equal(request.url.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(request.url.searchParams.get('client_id'), SPA.id);

    const response = await page.goto(request.url.href);
    assert.equal(response.status(), 200);
    assert.equal(pathOf(page), `/realms/${REALM}/login`);
    const rid = new URL(page.url()).searchParams.get('rid');
    assert.match(rid ?? '', /^\S{8,}$/, 'the pending request id is in the URL');
    // The 303 from the authorization endpoint is the first hop.
    const hop = response.request().redirectedFrom();
    assert.ok(hop, 'the browser was redirected');
    assert.equal(new URL(hop.url()).pathname, `/realms/${REALM}/protocol/openid-connect/auth`);
    assert.equal((await hop.response()).status(), 303);

    await waitHydrated(page);
    assert.equal((await page.textContent('#client-name')).trim(), SPA.name);
    assert.equal(await page.inputValue('form input[type=hidden][name=rid]'), rid);
    assert.match(await page.inputValue('form input[type=hidden][name=csrf]'), /^\S{16,}$/);
    assert.equal(await page.locator('p.error[role=alert]').count(), 0, 'no error before any attempt');
  });

  it('the Show/Hide toggle reveals the password and masks it again', async () => {
    const password = page.locator('input[name=password]');
    const toggle = page.locator('#toggle-password');
    await password.fill(USERS.alice.password);
    assert.equal(await password.getAttribute('type'), 'password');
    assert.equal((await toggle.textContent()).trim(), 'Show');

    await toggle.click();
    await page.waitForSelector('input[name=password][type=text]');
    assert.equal((await toggle.textContent()).trim(), 'Hide');
    assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
    assert.equal(await password.inputValue(), USERS.alice.password, 'the typed value survives the switch');

    await toggle.click();
    await page.waitForSelector('input[name=password][type=password]');
    assert.equal((await toggle.textContent()).trim(), 'Show');
    assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
  });

  it('signing in leads to the consent page, with the client name and the requested scopes', async () => {
    await submitSignIn(page, 'alice', USERS.alice.password);
    assert.equal(pathOf(page), `/realms/${REALM}/consent`);
    await waitHydrated(page);
    assert.equal((await page.textContent('#client-name')).trim(), SPA.name);
    const scopes = await listedScopes(page);
    assert.deepEqual(scopes.map((s) => s.name), ['email', 'openid', 'profile']);
    for (const s of scopes) {
      assert.ok(s.description.length > 3, `scope ${s.name} has a description`);
      assert.notEqual(s.description, s.name, `scope ${s.name} is described, not just named`);
    }
    assert.match(await page.textContent('main'), /\balice\b/, 'the page says who is signed in');
  });

  it('Allow redirects to the redirect_uri with a code, the state and the issuer', async () => {
    const landed = callback.next('/cb');
    await Promise.all([page.waitForURL(atCallback('/cb')), page.click('#allow')]);
    callbackUrl = await landed;
    assert.equal(page.url(), callbackUrl.href, 'the browser is on the callback');
    assert.match(callbackUrl.searchParams.get('code') ?? '', /^\S{16,}$/);
    assert.equal(callbackUrl.searchParams.get('state'), request.checks.expectedState);
    assert.equal(callbackUrl.searchParams.get('iss'), issuer);
    assert.equal(callbackUrl.searchParams.get('error'), null);
    assert.equal((await page.textContent('#callback')).trim(), 'The application received the response.');
    assert.deepEqual(browserTokenRequests, [], 'the browser never called the token endpoint');
  });

  it('openid-client exchanges the code (state, PKCE, nonce) and validates the ID token', async () => {
    tokens = await oidc.authorizationCodeGrant(config, callbackUrl, request.checks);
    assert.equal(tokens.token_type.toLowerCase(), 'bearer');
    assert.match(tokens.access_token, /^\S{16,}$/);
    assert.match(tokens.refresh_token, /^\S{16,}$/);
    assert.ok(tokens.expires_in > 0 && tokens.expires_in <= 300, `expires_in ${tokens.expires_in}`);
    assert.deepEqual(tokens.scope.split(' ').sort(), ['email', 'openid', 'profile']);
    claims = tokens.claims();
    assert.equal(claims.iss, issuer);
    assert.deepEqual([claims.aud].flat(), [SPA.id]);
    assert.equal(claims.nonce, request.checks.expectedNonce);
    assert.match(claims.sub, /^\S+$/);
    const now = Math.floor(Date.now() / 1000);
    assert.ok(claims.iat <= now + 5 && claims.exp > now, `iat ${claims.iat}, exp ${claims.exp}, now ${now}`);
    if (claims.auth_time !== undefined) assert.ok(claims.auth_time <= now + 5);
  });

  it('fetchUserInfo returns the signed-in user', async () => {
    const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
    assert.equal(info.sub, claims.sub);
    assert.equal(info.email, USERS.alice.email);
    assert.equal(info.preferred_username, 'alice');
  });

  it('refreshing rotates the refresh token; a replay inside the window gets the same successor', async () => {
    const first = await oidc.refreshTokenGrant(config, tokens.refresh_token);
    const rotatedAt = Date.now();
    assert.match(first.refresh_token, /^\S{16,}$/);
    assert.notEqual(first.refresh_token, tokens.refresh_token, 'a new refresh token');
    assert.notEqual(first.access_token, tokens.access_token, 'a new access token');
    const info = await oidc.fetchUserInfo(config, first.access_token, claims.sub);
    assert.equal(info.email, USERS.alice.email, 'the new access token works');

    // A client that lost the response retries at once: same successor, no alarm.
    const retry = await oidc.refreshTokenGrant(config, tokens.refresh_token);
    assert.ok(Date.now() - rotatedAt < REUSE_WINDOW_S * 1000, 'the retry was inside the window');
    assert.equal(retry.refresh_token, first.refresh_token, 'the same successor');

    tokens.rotatedAt = rotatedAt;
    tokens.successor = first.refresh_token;
  });

  it('after the window, replaying the old refresh token is refused and revokes the family', async () => {
    // The server counts whole seconds: wait one more than the window to be past it for sure.
    const waitMs = tokens.rotatedAt + (REUSE_WINDOW_S + 1) * 1000 - Date.now();
    if (waitMs > 0) await sleep(waitMs);

    const replay = await oauthError(() => oidc.refreshTokenGrant(config, tokens.refresh_token));
    assert.equal(replay.status, 400);
    assert.equal(replay.error, 'invalid_grant');

    const successor = await oauthError(() => oidc.refreshTokenGrant(config, tokens.successor));
    assert.equal(successor.error, 'invalid_grant', 'the successor died with its family');
  });

  it('the browser console shows no errors on the sign-in and consent pages', () => {
    assert.deepEqual(consoleLog.problems(), []);
  });
});

describe('code flow with PKCE, JavaScript off (plain form posts), confidential client', () => {
  let context;
  let page;
  let config;

  before(async () => {
    ({ context, page } = await newContext(browser, false));
    config = await discover(WEB.id, { secret: web.client_secret, metadata: { id_token_signed_response_alg: 'ES256' } });
  });

  after(async () => {
    await context?.close().catch(() => {});
  });

  it('Deny sends error=access_denied with the state back, and no code', async () => {
    const request = await authorizationRequest(config, callback.url('/web/cb'));
    await page.goto(request.url.href);
    assert.equal(pathOf(page), `/realms/${REALM}/login`);
    assert.equal(await page.getAttribute('body', 'data-hydrated'), null, 'scripts did not run');
    assert.equal((await page.textContent('#client-name')).trim(), WEB.name);
    const form = page.locator(`form[method=post][action="/realms/${REALM}/login-actions/authenticate"]`);
    assert.equal(await form.count(), 1, 'a plain form post');
    assert.match(await form.locator('input[type=hidden][name=csrf]').inputValue(), /^\S{16,}$/);
    assert.equal(
      await form.locator('input[type=hidden][name=rid]').inputValue(),
      new URL(page.url()).searchParams.get('rid'),
    );

    await submitSignIn(page, 'bob', USERS.bob.password);
    assert.equal(pathOf(page), `/realms/${REALM}/consent`);
    assert.equal(await page.getAttribute('body', 'data-hydrated'), null);
    assert.equal((await page.textContent('#client-name')).trim(), WEB.name);
    assert.deepEqual((await listedScopes(page)).map((s) => s.name), ['email', 'openid', 'profile']);
    const consentForm = page.locator(`form[method=post][action="/realms/${REALM}/login-actions/consent"]`);
    assert.match(await consentForm.locator('input[type=hidden][name=csrf]').inputValue(), /^\S{16,}$/);

    const landed = callback.next('/web/cb');
    await Promise.all([page.waitForURL(atCallback('/web/cb')), page.click('#deny')]);
    const denied = await landed;
    assert.equal(denied.searchParams.get('error'), 'access_denied');
    assert.equal(denied.searchParams.get('state'), request.checks.expectedState);
    assert.equal(denied.searchParams.get('code'), null);
    assert.equal(denied.searchParams.get('iss'), issuer, 'RFC 9207: the issuer on error responses too');

    // The client library reads it as the authorization error it is.
    await assert.rejects(
      () => oidc.authorizationCodeGrant(config, denied, request.checks),
      (e) => e instanceof oidc.AuthorizationResponseError && e.error === 'access_denied',
    );
  });

  let allowed;
  let tokens;

  it('signed in already (SSO), a new request goes straight to consent; Allow redirects with a code', async () => {
    const request = await authorizationRequest(config, callback.url('/web/cb'));
    await page.goto(request.url.href);
    assert.equal(pathOf(page), `/realms/${REALM}/consent`, 'no second sign-in');
    assert.equal((await page.textContent('#client-name')).trim(), WEB.name);

    const landed = callback.next('/web/cb');
    await Promise.all([page.waitForURL(atCallback('/web/cb')), page.click('#allow')]);
    const url = await landed;
    assert.match(url.searchParams.get('code') ?? '', /^\S{16,}$/);
    assert.equal(url.searchParams.get('state'), request.checks.expectedState);
    assert.equal(url.searchParams.get('iss'), issuer);
    allowed = { request, url };
  });

  it('the code exchanges (client secret, PKCE) for tokens with an ES256 ID token', async () => {
    tokens = await oidc.authorizationCodeGrant(config, allowed.url, allowed.request.checks);
    const claims = tokens.claims();
    assert.equal(claims.iss, issuer);
    assert.deepEqual([claims.aud].flat(), [WEB.id]);
    assert.equal(claims.nonce, allowed.request.checks.expectedNonce);
    assert.equal(JSON.parse(Buffer.from(tokens.id_token.split('.')[0], 'base64url')).alg, 'ES256');
    const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
    assert.equal(info.email, USERS.bob.email);
    assert.equal(info.preferred_username, 'bob');
  });

  it('a replayed code is refused and the tokens issued for it are revoked', async () => {
    const replay = await oauthError(() => oidc.authorizationCodeGrant(config, allowed.url, allowed.request.checks));
    assert.equal(replay.error, 'invalid_grant');
    const refresh = await oauthError(() => oidc.refreshTokenGrant(config, tokens.refresh_token));
    assert.equal(refresh.error, 'invalid_grant');
  });

  it('consent is remembered: the next request redirects at once; a wrong code_verifier is refused', async () => {
    const request = await authorizationRequest(config, callback.url('/web/cb'));
    const landed = callback.next('/web/cb');
    await page.goto(request.url.href);
    const url = await landed;
    assert.equal(page.url(), url.href, 'no page in between');
    assert.match(url.searchParams.get('code') ?? '', /^\S{16,}$/);
    assert.equal(url.searchParams.get('state'), request.checks.expectedState);

    const wrong = await oauthError(() =>
      oidc.authorizationCodeGrant(config, url, { ...request.checks, pkceCodeVerifier: oidc.randomPKCECodeVerifier() }),
    );
    assert.equal(wrong.error, 'invalid_grant');
    assert.match(wrong.error_description ?? '', /PKCE/);
    // The failed attempt spent the code.
    const again = await oauthError(() => oidc.authorizationCodeGrant(config, url, request.checks));
    assert.equal(again.error, 'invalid_grant');
  });
});

describe('wrong password and RP-initiated logout, JavaScript on', () => {
  let context;
  let page;
  let consoleLog;
  let config;
  let tokens;
  const expectedProblems = [];

  before(async () => {
    ({ context, page } = await newContext(browser, true));
    consoleLog = watchConsole(page);
    config = await discover(PORTAL.id);
  });

  after(async () => {
    if (process.env.E2E_VERBOSE) console.log('browser console (logout):', consoleLog.all());
    await context?.close().catch(() => {});
  });

  it('a wrong password shows the generic error and keeps the request', async () => {
    const request = await authorizationRequest(config, callback.url('/portal/cb'));
    await page.goto(request.url.href);
    assert.equal(pathOf(page), `/realms/${REALM}/login`);
    const rid = new URL(page.url()).searchParams.get('rid');
    await waitHydrated(page);

    await submitSignIn(page, 'carol', 'not-carols-password');
    const failedAt = Date.now();
    assert.equal(pathOf(page), `/realms/${REALM}/login`);
    const q = new URL(page.url()).searchParams;
    assert.equal(q.get('error'), 'invalid');
    assert.equal(q.get('rid'), rid, 'the same pending request');
    assert.equal((await page.textContent('p.error[role=alert]')).trim(), 'Invalid username or password.');
    assert.equal((await page.textContent('#client-name')).trim(), PORTAL.name);
    await waitHydrated(page);

    // Each failure makes the next attempt wait (1 s after the first): be past it.
    const waitMs = failedAt + 1_500 - Date.now();
    if (waitMs > 0) await sleep(waitMs);
    const landed = callback.next('/portal/cb');
    await submitSignIn(page, 'carol', USERS.carol.password);
    const url = await landed;
    assert.equal(page.url(), url.href, 'no consent page for a --no-consent client');
    assert.equal(url.searchParams.get('state'), request.checks.expectedState);
    tokens = await oidc.authorizationCodeGrant(config, url, request.checks);
    assert.equal(tokens.claims().nonce, request.checks.expectedNonce);
  });

  it('an unregistered post_logout_redirect_uri gets an error page, not a redirect', async () => {
    const before = callback.requests.length;
    const url = oidc.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token,
      post_logout_redirect_uri: callback.url('/elsewhere'),
      state: 'nope',
    });
    const response = await page.goto(url.href);
    assert.equal(response.status(), 400);
    assert.match(await page.textContent('body'), /not registered/);
    // Chromium logs the 400 itself; that one entry is expected, anything else is not.
    const logged = consoleLog.problems().filter((m) => m.url === url.href);
    assert.deepEqual(logged.map((m) => m.text), ['Failed to load resource: the server responded with a status of 400 (Bad Request)']);
    expectedProblems.push(...logged);
    assert.equal(new URL(page.url()).origin, server.baseUrl);
    assert.equal(callback.requests.length, before, 'nothing reached the callback server');
    // The session survived.
    const still = await oidc.refreshTokenGrant(config, tokens.refresh_token);
    tokens.refresh_token = still.refresh_token;
  });

  it('logout with id_token_hint and a registered post_logout_redirect_uri redirects back with the state', async () => {
    const state = oidc.randomState();
    const url = oidc.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token,
      post_logout_redirect_uri: callback.url('/portal/bye'),
      state,
    });
    const landed = callback.next('/portal/bye');
    await page.goto(url.href);
    const bye = await landed;
    assert.equal(bye.searchParams.get('state'), state);
    assert.equal(page.url(), bye.href);

    // The sign-in session is over: its refresh token is dead and a new request asks to sign in.
    const refresh = await oauthError(() => oidc.refreshTokenGrant(config, tokens.refresh_token));
    assert.equal(refresh.error, 'invalid_grant');
    const request = await authorizationRequest(config, callback.url('/portal/cb'));
    await page.goto(request.url.href);
    assert.equal(pathOf(page), `/realms/${REALM}/login`);
    await waitHydrated(page);
    assert.equal(await page.locator('#signed-in').count(), 0);
    // Sign in again for the next test.
    const landedAgain = callback.next('/portal/cb');
    await submitSignIn(page, 'carol', USERS.carol.password);
    await landedAgain;
  });

  it('logout without a hint asks for confirmation first', async () => {
    await page.goto(`${issuer}/protocol/openid-connect/logout`);
    assert.equal(pathOf(page), `/realms/${REALM}/logout`);
    await waitHydrated(page);
    assert.match(await page.textContent('main'), /signed in as\s+carol/);
    await Promise.all([page.waitForNavigation(), page.click('#confirm-logout')]);
    assert.equal(pathOf(page), `/realms/${REALM}/logged-out`);
    assert.equal((await page.textContent('#logged-out')).trim(), 'You are signed out');

    const request = await authorizationRequest(config, callback.url('/portal/cb'));
    await page.goto(request.url.href);
    assert.equal(pathOf(page), `/realms/${REALM}/login`, 'signed out: asked to sign in again');
  });

  it('the browser console shows no errors (but the one expected 400)', () => {
    const unexpected = consoleLog.problems().filter((m) => !expectedProblems.some((e) => e.url === m.url && e.text === m.text));
    assert.deepEqual(unexpected, []);
  });
});
