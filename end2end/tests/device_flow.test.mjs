// The device authorization grant (RFC 8628) end to end: a stand-in for the device (plain `fetch`
// in this process) asks for a user code and polls the token endpoint in the background at the
// announced interval, recording every answer, while Chromium does what the person does: opens the
// verification page, types the code, signs in, and approves or denies on the confirmation screen.
// One server and one Chromium serve the whole file; each part gets its own browser context (its
// own cookies, so its own sign-in session).
//
// Order matters: wrong codes are rate-limited per client IP (everything here comes from
// 127.0.0.1), so the wrong-code part runs last; before it, no code is ever mistyped.

import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import {
  launchBrowser,
  listedScopes,
  newContext,
  pathOf,
  startServer,
  submitSignIn,
  waitHydrated,
  watchConsole,
} from './harness.mjs';

const REALM = 'default';
const TV = { id: 'tv', name: 'Living-room TV' };
const USERS = {
  dana: { password: 'dana-pass-2468', email: 'dana@example.com' },
  erin: { password: 'erin-pass-1357', email: 'erin@example.com' },
};
const SCOPE = 'openid profile';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
// 8 letters from 20 consonants, shown as XXXX-XXXX.
const USER_CODE = /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/;
const WRONG_CODE_MESSAGE = 'That code is not valid or has expired. Check the code shown on your device.';

let server;
let browser;
let issuer;
const issuedUserCodes = [];
const pollers = [];

before(async () => {
  server = await startServer();
  issuer = `${server.baseUrl}/realms/${REALM}`;
  for (const [username, u] of Object.entries(USERS)) {
    server.cli(['user', 'create', '--realm', REALM, '--username', username, '--email', u.email, '--password-stdin'], {
      input: `${u.password}\n`,
    });
  }
  const tv = JSON.parse(server.cli([
    'client', 'create', '--realm', REALM, '--template', 'device', '--client-id', TV.id, '--name', TV.name, '--json',
  ]));
  assert.equal(tv.client_id, TV.id);
  assert.equal(tv.type, 'public');
  assert.equal(tv.client_secret, undefined);
  browser = await launchBrowser();
});

after(async () => {
  // A failed test may leave a poller sleeping: stop them all first, then the rest, each on its own.
  for (const p of pollers) p.stop();
  await Promise.allSettled(pollers.map((p) => p.result));
  await browser?.close().catch(() => {});
  await server?.stop();
});

/** POSTs a form to `path` under the realm; returns `{ status, headers, body }` (body parsed as JSON). */
async function postForm(path, fields) {
  const res = await fetch(`${issuer}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams(fields),
  });
  return { status: res.status, headers: res.headers, body: await res.json(), at: Date.now() };
}

/** The device's first step (§3.1): asks for a device code and a user code, checks the answer. */
async function requestDeviceCode() {
  const requestedAt = new Date();
  const res = await postForm('/protocol/openid-connect/auth/device', { client_id: TV.id, scope: SCOPE });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.match(res.headers.get('cache-control') ?? '', /no-store/);
  const auth = res.body;
  assert.match(auth.device_code, /^\S{32,}$/);
  assert.match(auth.user_code, USER_CODE);
  assert.ok(!issuedUserCodes.includes(auth.user_code), 'a fresh user code');
  assert.equal(auth.verification_uri, `${issuer}/device`);
  const complete = new URL(auth.verification_uri_complete);
  assert.equal(complete.origin + complete.pathname, auth.verification_uri);
  assert.equal(complete.searchParams.get('user_code'), auth.user_code);
  assert.equal(auth.expires_in, 600);
  assert.equal(auth.interval, 5);
  issuedUserCodes.push(auth.user_code);
  return { ...auth, requestedAt };
}

/** One poll of the token endpoint (§3.4). */
function poll(deviceCode) {
  return postForm('/protocol/openid-connect/token', { grant_type: DEVICE_GRANT, device_code: deviceCode, client_id: TV.id });
}

/**
 * The device's polling loop, in the background: polls at once, then waits `interval` seconds
 * after each answer (timed from the answer, so never early by the server's clock), adds 5 s on
 * `slow_down` (§3.5), and stops at the first answer that is neither `authorization_pending` nor
 * `slow_down`. `answers` records everything; `result` resolves with the final answer.
 */
function startPolling(auth) {
  const answers = [];
  const abort = new AbortController();
  let intervalMs = auth.interval * 1000;
  const result = (async () => {
    for (;;) {
      const answer = await poll(auth.device_code);
      answers.push(answer);
      if (answer.body.error === 'slow_down') intervalMs += 5_000;
      else if (answer.body.error !== 'authorization_pending') return answer;
      // 100 ms of slack against the server's whole-second clock.
      await sleep(intervalMs + 100, undefined, { signal: abort.signal });
    }
  })();
  result.catch(() => {}); // a stopped poller rejects (AbortError); only awaited where it matters
  const poller = { answers, result, stop: () => abort.abort(), intervalMs: () => intervalMs };
  pollers.push(poller);
  return poller;
}

/**
 * The poller's final answer, once the person has answered: it comes at the next poll, so within
 * the current interval (plus slack). Bounded, so a broken flow fails instead of polling on until
 * the code expires (10 minutes); the poller is stopped either way.
 */
async function finalAnswer(poller) {
  const ms = poller.intervalMs() + 5_000;
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no final answer within ${ms} ms: ${JSON.stringify(poller.answers.map((a) => a.body))}`)), ms);
  });
  try {
    return await Promise.race([poller.result, timeout]);
  } finally {
    clearTimeout(timer);
    poller.stop();
  }
}

/** Waits until the poller has at least `n` answers. */
async function answersAtLeast(poller, n, timeout = 15_000) {
  const until = Date.now() + timeout;
  while (poller.answers.length < n) {
    if (Date.now() > until) assert.fail(`the poller had ${poller.answers.length} answers after ${timeout} ms`);
    await sleep(20);
  }
}

/** A JWT's payload (no signature check: the claims are what is asserted). */
function jwtClaims(jwt) {
  const parts = jwt.split('.');
  assert.equal(parts.length, 3, 'a JWS in compact form');
  return JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
}

/** `YYYY-MM-DD HH:MM` in UTC. */
function utcMinute(date) {
  return date.toISOString().slice(0, 16).replace('T', ' ');
}

/**
 * `it` for the steps of one flow, each building on the one before: once a step fails, the later
 * ones are skipped instead of each waiting out its own timeouts.
 */
function flowSteps() {
  let failed = null;
  return (name, fn) =>
    it(name, async (t) => {
      if (failed) {
        t.skip(`after the failed step "${failed}"`);
        return;
      }
      try {
        await fn(t);
      } catch (e) {
        failed = name;
        throw e;
      }
    });
}

/** Checks the confirmation screen: who asks, for what, when and from where (§5.4). */
async function checkConfirmation(page, auth, username) {
  assert.equal(pathOf(page), `/realms/${REALM}/device`);
  assert.match(new URL(page.url()).searchParams.get('rid') ?? '', /^\S{8,}$/);
  assert.equal((await page.textContent('#client-name')).trim(), TV.name);
  assert.match(await page.textContent('main'), new RegExp(`Signed in as\\s+${username}\\b`));
  const scopes = await listedScopes(page);
  assert.deepEqual(scopes.map((s) => s.name), ['openid', 'profile']);
  for (const s of scopes) {
    assert.ok(s.description.length > 3, `scope ${s.name} has a description`);
    assert.notEqual(s.description, s.name, `scope ${s.name} is described, not just named`);
  }
  const origin = (await page.textContent('#request-origin')).replace(/\s+/g, ' ').trim();
  const m = /^Requested (\d{4}-\d{2}-\d{2} \d{2}:\d{2}) UTC \(just now\) from (\S+?)\. /.exec(origin);
  assert.ok(m, `the time and the address: ${origin}`);
  // The minute the device asked in (or the next one, if the request straddled it).
  const minutes = [utcMinute(auth.requestedAt), utcMinute(new Date(auth.requestedAt.getTime() + 60_000))];
  assert.ok(minutes.includes(m[1]), `requested at ${m[1]}, expected ${minutes[0]}`);
  assert.equal(m[2], '127.0.0.1');
  assert.equal(await page.locator('#approve').count(), 1);
  assert.equal(await page.locator('#deny').count(), 1);
}

describe('the device client (no browser)', () => {
  it('polling sooner than the interval gets slow_down, and the interval grows by 5 s', async () => {
    const auth = await requestDeviceCode();
    const first = await poll(auth.device_code);
    assert.equal(first.status, 400);
    assert.equal(first.body.error, 'authorization_pending');
    const second = await poll(auth.device_code);
    assert.ok(second.at - first.at < 5_000, 'polled again well inside the 5 s interval');
    assert.equal(second.status, 400);
    assert.equal(second.body.error, 'slow_down');
    // The new interval (5 + 5) is only observable by polling early again, which grows it once
    // more; the description states it.
    assert.match(second.body.error_description ?? '', /\b10 seconds\b/);
  });

  it('an unknown device code is refused', async () => {
    const res = await poll('not-a-device-code-0123456789abcdef');
    assert.equal(res.status, 400);
    assert.equal(res.body.error, 'invalid_grant');
  });
});

describe('device flow, JavaScript on: type the code, sign in, approve', () => {
  const step = flowSteps();
  const username = 'dana';
  let context;
  let page;
  let consoleLog;
  let auth;
  let poller;
  let confirmUrl;
  let signIn; // [before, after] the sign-in, in ms

  before(async () => {
    ({ context, page } = await newContext(browser, true));
    consoleLog = watchConsole(page);
  });

  after(async () => {
    poller?.stop();
    if (process.env.E2E_VERBOSE) console.log('browser console (device, JS on):', consoleLog.all());
    await context?.close().catch(() => {});
  });

  step('the device gets a user code and starts polling: authorization_pending', async () => {
    auth = await requestDeviceCode();
    poller = startPolling(auth);
    await answersAtLeast(poller, 1);
    assert.equal(poller.answers[0].status, 400);
    assert.equal(poller.answers[0].body.error, 'authorization_pending');
  });

  step('the verification page hydrates and formats the code as it is typed', async () => {
    const response = await page.goto(auth.verification_uri);
    assert.equal(response.status(), 200);
    await waitHydrated(page);
    const form = page.locator(`form[method=post][action="/realms/${REALM}/login-actions/device"]`);
    assert.equal(await form.count(), 1);
    assert.match(await form.locator('input[type=hidden][name=csrf]').inputValue(), /^\S{16,}$/);
    const input = page.locator('#user-code');
    assert.equal(await input.getAttribute('name'), 'user_code');
    assert.equal(await input.inputValue(), '', 'nothing prefilled without ?user_code');
    assert.equal(await page.locator('p.error[role=alert]').count(), 0);

    // What a person types off the TV screen: lower case, no dash.
    const typed = auth.user_code.replace('-', '').toLowerCase();
    await input.pressSequentially(typed.slice(0, 4));
    assert.equal(await input.inputValue(), auth.user_code.slice(0, 4), 'upper case, no dash yet');
    await input.pressSequentially(typed.slice(4, 5));
    assert.equal(await input.inputValue(), auth.user_code.slice(0, 6), 'the dash comes after four letters');
    await input.pressSequentially(typed.slice(5));
    assert.equal(await input.inputValue(), auth.user_code);
  });

  step('submitting the code asks to sign in, naming the device client', async () => {
    await Promise.all([page.waitForNavigation(), page.click('#submit-code')]);
    assert.equal(pathOf(page), `/realms/${REALM}/login`);
    assert.match(new URL(page.url()).searchParams.get('rid') ?? '', /^\S{8,}$/);
    await waitHydrated(page);
    assert.equal((await page.textContent('#client-name')).trim(), TV.name);
    assert.equal(await page.locator('p.error[role=alert]').count(), 0);
  });

  step('after signing in, the confirmation screen names the client, the scopes, the time and the address', async () => {
    const started = Date.now();
    await submitSignIn(page, username, USERS[username].password);
    signIn = [started, Date.now()];
    confirmUrl = page.url();
    await waitHydrated(page);
    await checkConfirmation(page, auth, username);
    // Nothing is issued before the person answers.
    assert.ok(poller.answers.length >= 1);
    for (const a of poller.answers) assert.equal(a.body.error, 'authorization_pending', JSON.stringify(a.body));
  });

  step('Approve shows the final page', async () => {
    await Promise.all([page.waitForNavigation(), page.click('#approve')]);
    assert.equal(pathOf(page), `/realms/${REALM}/device`);
    assert.equal(new URL(page.url()).searchParams.get('done'), 'approved');
    await waitHydrated(page);
    assert.equal((await page.textContent('#device-done')).trim(), 'Done — you can go back to your device');
  });

  step('the device gets tokens exactly once, for the user who approved', async () => {
    const final = await finalAnswer(poller);
    assert.equal(final.status, 200, JSON.stringify(final.body));
    const { answers } = poller;
    assert.ok(answers.length >= 2, 'pending first, tokens later');
    for (const a of answers.slice(0, -1)) {
      assert.deepEqual([a.status, a.body.error], [400, 'authorization_pending'], 'never slow_down at the announced interval');
    }
    for (let i = 1; i < answers.length; i += 1) {
      // The poller kept to the interval (it waits from each answer, so the gaps are ≥ 5 s).
      assert.ok(answers[i].at - answers[i - 1].at >= 5_000, `poll ${i} came ${answers[i].at - answers[i - 1].at} ms after the one before`);
    }

    const tokens = final.body;
    assert.match(final.headers.get('cache-control') ?? '', /no-store/);
    assert.equal(tokens.token_type.toLowerCase(), 'bearer');
    assert.match(tokens.access_token, /^\S{16,}$/);
    assert.match(tokens.refresh_token, /^\S{16,}$/);
    assert.match(tokens.id_token, /^\S{16,}$/);
    assert.deepEqual(tokens.scope.split(' ').sort(), ['openid', 'profile']);
    const access = jwtClaims(tokens.access_token);
    assert.equal(access.preferred_username, username);
    assert.equal(access.iss, issuer);
    assert.equal(access.azp, TV.id);
    assert.equal(access.client_id, TV.id);
    // The device is signed in by the browser's sign-in.
    assert.ok(
      access.auth_time >= Math.floor(signIn[0] / 1000) && access.auth_time <= Math.ceil(signIn[1] / 1000),
      `auth_time ${access.auth_time}, signed in between ${signIn[0] / 1000} and ${signIn[1] / 1000}`,
    );
    const id = jwtClaims(tokens.id_token);
    assert.equal(id.iss, issuer);
    assert.deepEqual([id.aud].flat(), [TV.id]);
    assert.equal(id.sub, access.sub);
    assert.equal(id.preferred_username, username);

    // The access token works at userinfo.
    const info = await fetch(`${issuer}/protocol/openid-connect/userinfo`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    assert.equal(info.status, 200);
    const claims = await info.json();
    assert.equal(claims.sub, access.sub);
    assert.equal(claims.preferred_username, username);

    // Exactly once: the same device code again (at once, as a replay would) is refused.
    const again = await poll(auth.device_code);
    assert.equal(again.status, 400);
    assert.equal(again.body.error, 'invalid_grant');
  });

  step('the answered request cannot be confirmed again', async () => {
    await page.goto(confirmUrl);
    assert.equal(await page.locator('#approve').count(), 0);
    assert.match(await page.textContent('main'), /This request has expired/);
  });

  it('the browser console shows no errors', () => {
    assert.deepEqual(consoleLog.problems(), []);
  });
});

describe('device flow, JavaScript off: the complete link, sign in, deny', () => {
  const step = flowSteps();
  const username = 'erin';
  let context;
  let page;
  let auth;
  let poller;

  before(async () => {
    ({ context, page } = await newContext(browser, false));
  });

  after(async () => {
    poller?.stop();
    await context?.close().catch(() => {});
  });

  step('verification_uri_complete opens the page with the code filled in', async () => {
    auth = await requestDeviceCode();
    poller = startPolling(auth);
    const response = await page.goto(auth.verification_uri_complete);
    assert.equal(response.status(), 200);
    assert.equal(pathOf(page), `/realms/${REALM}/device`);
    assert.equal(await page.getAttribute('body', 'data-hydrated'), null, 'scripts did not run');
    const form = page.locator(`form[method=post][action="/realms/${REALM}/login-actions/device"]`);
    assert.match(await form.locator('input[type=hidden][name=csrf]').inputValue(), /^\S{16,}$/);
    // In the HTML itself (no script ran): the value attribute.
    assert.equal(await page.getAttribute('#user-code', 'value'), auth.user_code);
  });

  step('submitting asks to sign in (a plain form), then shows the confirmation screen', async () => {
    await Promise.all([page.waitForNavigation(), page.click('#submit-code')]);
    assert.equal(pathOf(page), `/realms/${REALM}/login`);
    const rid = new URL(page.url()).searchParams.get('rid');
    const form = page.locator(`form[method=post][action="/realms/${REALM}/login-actions/authenticate"]`);
    assert.equal(await form.locator('input[type=hidden][name=rid]').inputValue(), rid);
    assert.equal((await page.textContent('#client-name')).trim(), TV.name);

    await submitSignIn(page, username, USERS[username].password);
    assert.equal(new URL(page.url()).searchParams.get('rid'), rid, 'the same pending request');
    await checkConfirmation(page, auth, username);
    const decision = page.locator(`form[method=post][action="/realms/${REALM}/login-actions/device-decision"]`);
    assert.match(await decision.locator('input[type=hidden][name=csrf]').inputValue(), /^\S{16,}$/);
    assert.equal(await decision.locator('input[type=hidden][name=rid]').inputValue(), rid);
  });

  step('Deny shows "Request denied" and the device gets access_denied', async () => {
    await Promise.all([page.waitForNavigation(), page.click('#deny')]);
    assert.equal(pathOf(page), `/realms/${REALM}/device`);
    assert.equal(new URL(page.url()).searchParams.get('done'), 'denied');
    assert.equal((await page.textContent('#device-done')).trim(), 'Request denied');

    const final = await finalAnswer(poller);
    assert.equal(final.status, 400);
    assert.equal(final.body.error, 'access_denied');
    assert.ok(poller.answers.length >= 2);
    assert.equal(poller.answers[0].body.error, 'authorization_pending');
    for (const a of poller.answers.slice(0, -1)) assert.equal(a.body.error, 'authorization_pending');
  });
});

describe('wrong codes, JavaScript on: an error, then a wait', () => {
  const step = flowSteps();
  let context;
  let page;
  let consoleLog;

  before(async () => {
    ({ context, page } = await newContext(browser, true));
    consoleLog = watchConsole(page);
  });

  after(async () => {
    if (process.env.E2E_VERBOSE) console.log('browser console (wrong codes):', consoleLog.all());
    await context?.close().catch(() => {});
  });

  step('a wrong code shows the error; trying again at once is told to wait', async (t) => {
    // Well-formed, from the alphabet, and not one the server issued.
    let wrong = 'BCDF-GHJK';
    while (issuedUserCodes.includes(wrong)) wrong = wrong.replace(/^./, (c) => (c === 'B' ? 'C' : 'B'));
    await page.goto(`${issuer}/device`);
    await waitHydrated(page);
    await page.locator('#user-code').pressSequentially(wrong.toLowerCase());
    assert.equal(await page.inputValue('#user-code'), wrong);

    // Each failure makes the next attempt wait longer (1 s, 2 s, 4 s, … counted in the server's
    // whole seconds). Submit at once again until the server says to wait: on a fast machine the
    // second attempt, on a slow one (a round trip over a second) a later one, whose wait is then
    // longer. What must hold: a wait comes, its length is the doubling delay, and what was typed
    // stays.
    const started = Date.now();
    await Promise.all([page.waitForNavigation(), page.click('#submit-code')]);
    let q = new URL(page.url()).searchParams;
    assert.equal(pathOf(page), `/realms/${REALM}/device`);
    assert.equal(q.get('error'), 'invalid');
    assert.equal(q.get('user_code'), wrong, 'what was typed comes back');
    assert.equal((await page.textContent('p.error[role=alert]')).trim(), WRONG_CODE_MESSAGE);
    assert.equal(await page.getAttribute('#user-code', 'value'), wrong, 'the field keeps the code to correct it');

    let failures = 1;
    for (;;) {
      // At once again (the field still holds the wrong code; no need to wait for hydration).
      await Promise.all([page.waitForNavigation(), page.click('#submit-code')]);
      q = new URL(page.url()).searchParams;
      if (q.get('error') === 'wait') break;
      assert.equal(q.get('error'), 'invalid');
      failures += 1;
      assert.ok(failures < 6, `no wait after ${failures} wrong codes in ${Date.now() - started} ms`);
    }
    t.diagnostic(`told to wait after ${failures} wrong code(s), ${Date.now() - started} ms`);
    // The wait after n failures is 2^(n-1) s from the last one; `retry` is what is left of it.
    const wait = 2 ** (failures - 1);
    const retry = Number(q.get('retry'));
    assert.ok(retry >= 1 && retry <= wait, `${failures} failure(s): ${retry} s left of a ${wait} s wait`);
    // (The page says "1 seconds" for one; the singular would do too.)
    assert.match(
      (await page.textContent('p.error[role=alert]')).trim(),
      new RegExp(`^Please wait ${retry} seconds? before trying another code\\.$`),
    );

    // The message survives hydration, and the field still formats what is typed.
    await waitHydrated(page);
    assert.equal(await page.locator('p.error[role=alert]').count(), 1);
    assert.match(await page.textContent('p.error[role=alert]'), /^Please wait/);
    await page.fill('#user-code', '');
    await page.locator('#user-code').pressSequentially('xz');
    assert.equal(await page.inputValue('#user-code'), 'XZ');
  });

  it('the browser console shows no errors', () => {
    assert.deepEqual(consoleLog.problems(), []);
  });
});
