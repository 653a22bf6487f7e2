// Signing Keys in Chromium with JavaScript on and off: Publish delay (seconds) 0 → Save; a
// client_credentials token; Rotate ES256; another token, signed by the new key; both verify
// against the JWKS fetched afterwards (node's crypto, from the JWKs), and the page lists the new
// key Active and the old one Retiring. A bad value is refused beside its field. Screenshots under
// test-results/screenshots/.

import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CONSOLE_ADMIN,
  CONSOLE_PASSWORD,
  consoleSession,
  launchBrowser,
  repoRoot,
  startServer,
  waitHydrated,
} from './harness.mjs';

const [ADMIN, PASSWORD] = [CONSOLE_ADMIN, CONSOLE_PASSWORD];
const SHOTS = join(repoRoot(), 'end2end', 'test-results', 'screenshots');

let server;
let browser;
let secret;

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  server = await startServer();
  server.cli(['admin', 'create', '--username', ADMIN, '--password-stdin'], { input: `${PASSWORD}\n` });
  server.cli(
    ['user', 'create', '--realm', 'default', '--username', 'viewer', '--role', 'view-realm', '--password-stdin'],
    { input: `${PASSWORD}\n` },
  );
  secret = JSON.parse(
    server.cli(['client', 'create', '--realm', 'default', '--template', 'service', '--client-id', 'key-job', '--json']),
  ).client_secret;
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close().catch(() => {});
  await server?.stop();
});

async function accessToken() {
  const res = await fetch(`${server.baseUrl}/realms/default/protocol/openid-connect/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`key-job:${secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  assert.equal(res.status, 200);
  return (await res.json()).access_token;
}

const header = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url').toString());

/** Whether `jwt` (ES256) verifies against the key of `jwks` its header names. */
function verifies(jwt, jwks) {
  const jwk = jwks.keys.find((k) => k.kid === header(jwt).kid);
  if (!jwk) return false;
  const [h, p, s] = jwt.split('.');
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  return verify('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'));
}


async function flash(page, text) {
  await page.locator('#flash').filter({ hasText: text }).waitFor();
}

for (const js of [true, false]) {
  const mode = js ? 'on' : 'off';

  describe(`Signing Keys, JavaScript ${mode}`, () => {
    const session = consoleSession(() => ({ browser, baseUrl: server.baseUrl }), js);

    it('Publish delay 0 → Save, Rotate ES256: tokens from before and after both verify against the JWKS', async () => {
      const { page } = session;
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Signing Keys', exact: true }).click();
      await page.getByRole('heading', { name: 'Signing Keys', level: 1 }).waitFor();
      if (js) await waitHydrated(page);

      // A value out of range: refused beside its field, what was typed kept.
      await page.getByLabel('Publish delay (seconds)').fill('99999999');
      await page.getByRole('button', { name: 'Save' }).click();
      await flash(page, 'Publish delay (seconds) must be between 0');
      assert.equal(await page.getByLabel('Publish delay (seconds)').getAttribute('aria-invalid'), 'true');
      assert.equal(await page.getByLabel('Publish delay (seconds)').inputValue(), '99999999');
      if (js) await page.screenshot({ path: join(SHOTS, 'signing-keys-error.png'), fullPage: true });

      await page.getByLabel('Publish delay (seconds)').fill('0');
      await page.getByRole('button', { name: 'Save' }).click();
      await flash(page, 'published 0 seconds before they sign');

      const before = await accessToken();
      await page.getByRole('button', { name: 'Rotate ES256' }).click();
      await flash(page, 'Rotated ES256');
      const afterwards = await accessToken();
      assert.notEqual(header(afterwards).kid, header(before).kid, 'the new key signs at once');

      const jwks = await (await fetch(`${server.baseUrl}/realms/default/protocol/openid-connect/certs`)).json();
      assert.ok(verifies(before, jwks), 'the token from before the rotation verifies');
      assert.ok(verifies(afterwards, jwks), 'the token from after the rotation verifies');

      const row = (kid) => page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: kid }) });
      assert.equal(await row(header(afterwards).kid).locator('td.status').textContent(), 'Active');
      assert.equal(await row(header(before).kid).locator('td.status').textContent(), 'Retiring');
      if (js) await page.screenshot({ path: join(SHOTS, 'signing-keys.png'), fullPage: true });

      // With a delay, a rotated key is Published first and the current key keeps signing.
      await page.getByLabel('Publish delay (seconds)').fill('3600');
      await page.getByRole('button', { name: 'Save' }).click();
      await flash(page, 'published 3600 seconds before they sign');
      await page.getByRole('button', { name: 'Rotate RS256' }).click();
      await flash(page, 'is published and signs from');
      const published = (await page.locator('#flash').textContent()).match(/key (\S+) is published/)[1];
      assert.equal(await row(published).locator('td.status').textContent(), 'Published');
      const rs256 = page.getByRole('row').filter({ has: page.getByRole('cell', { name: 'RS256', exact: true }) });
      const states = await rs256.locator('td.status').allTextContents();
      assert.equal(states.filter((s) => s === 'Active').length, 1, 'the current RS256 key still signs');
      const later = await accessToken();
      assert.equal(header(later).kid, header(afterwards).kid, 'ES256 untouched');
      if (!js) await page.screenshot({ path: join(SHOTS, 'signing-keys-published.png'), fullPage: true });
    });

    if (js) {
      it('the browser console shows no errors', () => {
        assert.deepEqual(session.consoleLog.problems(), []);
      });
    }
  });
}

describe('a view-realm administrator sees the keys and cannot rotate', () => {
  const session = consoleSession(() => ({ browser, baseUrl: server.baseUrl }), true, { username: 'viewer', realm: 'default' });

  it('no Rotate buttons, the settings read-only', async () => {
    const { page } = session;
    await page.goto(`${server.baseUrl}/admin/default/console/signing-keys`);
    await page.getByRole('heading', { name: 'Signing Keys', level: 1 }).waitFor();
    await page.locator('#signing-keys tbody tr').first().waitFor();
    assert.equal(await page.getByRole('button', { name: /^Rotate/ }).count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Save' }).count(), 0);
    assert.equal(await page.getByLabel('Publish delay (seconds)').isDisabled(), true);
  });
});
