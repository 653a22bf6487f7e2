// The console's Dashboard, Audit Log and Sessions in Chromium with JavaScript on and off:
// tokens issued change the Dashboard's numbers (its SVG's description and hidden table; with
// JavaScript on, without a reload: the page refreshes itself), the Audit Log filters by kind
// with its GET form and exports JSON lines, and a session is listed and revoked (asked first).
// Each page is saved as a screenshot under test-results/screenshots/.

import assert from 'node:assert/strict';
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
  waitCurrent,
} from './harness.mjs';

const [ADMIN, PASSWORD] = [CONSOLE_ADMIN, CONSOLE_PASSWORD];
const SHOTS = join(repoRoot(), 'end2end', 'test-results', 'screenshots');

let server;
let browser;
let job;
let web;

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  server = await startServer();
  server.cli(['admin', 'create', '--username', ADMIN, '--password-stdin'], { input: `${PASSWORD}\n` });
  for (const user of ['alice', 'bob']) {
    server.cli(['user', 'create', '--realm', 'default', '--username', user, '--password-stdin'], {
      input: `${PASSWORD}\n`,
    });
  }
  job = JSON.parse(
    server.cli(['client', 'create', '--realm', 'default', '--template', 'service', '--client-id', 'stats-job', '--json']),
  );
  web = JSON.parse(
    server.cli([
      'client', 'create', '--realm', 'default', '--template', 'web', '--client-id', 'web-app',
      '--redirect-uri', 'https://app.example/cb', '--grant-type', 'password', '--grant-type', 'refresh_token', '--json',
    ]),
  );
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close().catch(() => {});
  await server?.stop();
});

async function tokenRequest(client, body) {
  const res = await fetch(`${server.baseUrl}/realms/default/protocol/openid-connect/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams(body).toString(),
  });
  return { status: res.status, body: await res.json() };
}

async function issue(n) {
  for (let i = 0; i < n; i++) {
    assert.equal((await tokenRequest(job, { grant_type: 'client_credentials' })).status, 200);
  }
}

async function shot(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** The total the per-grant chart's description states ("12 in all: …"), 0 for none. */
async function grantsTotal(page) {
  const desc = await page.locator('#chart-grants-desc').textContent();
  const m = desc.match(/^([\d,]+) in all/);
  return m ? Number(m[1].replace(/,/g, '')) : 0;
}

/** The sum of the client_credentials column of the per-grant chart's hidden table. */
async function hiddenTableSum(page) {
  const table = page.locator('#chart-grants table.chart-data');
  const headers = await table.locator('thead th').allTextContents();
  const col = headers.indexOf('client_credentials');
  if (col < 0) return 0;
  const cells = await table.locator(`tbody tr > :nth-child(${col + 1})`).allTextContents();
  return cells.reduce((a, c) => a + Number(c), 0);
}

function signedInPage(js) {
  return consoleSession(() => ({ browser, baseUrl: server.baseUrl }), js, { timeout: 20_000 });
}

for (const js of [true, false]) {
  const mode = js ? 'on' : 'off';

  describe(`Dashboard, Audit Log and Sessions, JavaScript ${mode}`, () => {
    const session = signedInPage(js);

    it("the Dashboard's charts count the tokens issued", async () => {
      const { page } = session;
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Dashboard' }).click();
      await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
      await page.getByRole('link', { name: 'Last hour' }).click();
      await page.waitForURL(/range=hour/);
      await waitCurrent(page.getByRole('link', { name: 'Last hour' }));
      // The chart's description counts every grant; the hidden table has a column per grant.
      const before = await grantsTotal(page);
      const beforeJob = await hiddenTableSum(page);
      await issue(4);
      if (js) {
        // Hydrated, the page asks again every ten seconds: no reload needed. The server writes
        // its counts every few seconds, so this may take two rounds.
        await waitHydrated(page);
        await page.evaluate(() => {
          window.__sameDocument = true;
        });
        await page.waitForFunction(
          (n) => /^([\d,]+) in all/.test(document.querySelector('#chart-grants-desc')?.textContent ?? '') &&
            Number(document.querySelector('#chart-grants-desc').textContent.match(/^([\d,]+)/)[1].replace(/,/g, '')) >= n,
          before + 4,
          { timeout: 40_000 },
        );
        assert.equal(await page.evaluate(() => window.__sameDocument), true, 'no full reload');
      } else {
        // Without JavaScript: reload until the server has written its counts.
        for (let i = 0; i < 25 && (await hiddenTableSum(page)) < beforeJob + 4; i++) {
          await page.waitForTimeout(1000);
          await page.reload();
        }
      }
      // (Every grant: tokens of an earlier test may reach the counts in the same write.)
      assert.ok((await grantsTotal(page)) >= before + 4);
      assert.equal(await hiddenTableSum(page), beforeJob + 4);
      assert.match(await page.locator('#chart-clients-desc').textContent(), /stats-job/);
      const svg = page.getByRole('img', { name: /Tokens issued per grant/ });
      assert.equal(await svg.count(), 1);
      assert.match(await page.locator('#stat-clients').textContent(), /OAuth Clients/);
      await shot(page, `dashboard-js-${mode}`);
    });

    it('the Audit Log filters by kind and exports what it shows', async () => {
      const { page } = session;
      // A failed sign-in and a failed client authentication, both recorded.
      await tokenRequest({ client_id: 'web-app', client_secret: 'wrong' }, { grant_type: 'password', username: 'x', password: 'y' });
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Audit Log' }).click();
      await page.getByRole('heading', { name: 'Audit Log' }).waitFor();
      if (js) await waitHydrated(page);
      await page.getByLabel('Kind').selectOption('client.created');
      await page.getByRole('button', { name: 'Filter' }).click();
      await page.waitForURL(/kind=client\.created/);
      // With JavaScript on the router changes the URL before the filtered rows replace the
      // unfiltered ones (which hold a 'stats-job' row too): wait for the filtered list itself.
      await page.waitForFunction(() => {
        const kinds = [...document.querySelectorAll('#audit-log tbody code.kind')].map((k) => k.textContent);
        return kinds.length >= 2 && kinds.every((k) => k === 'client.created');
      });
      const rows = page.locator('#audit-log tbody tr');
      await rows.filter({ hasText: 'stats-job' }).waitFor();
      const kinds = await page.locator('#audit-log tbody code.kind').allTextContents();
      assert.ok(kinds.length >= 2, 'both clients');
      assert.ok(kinds.every((k) => k === 'client.created'), kinds.join());
      await shot(page, `audit-log-js-${mode}`);
      // Export: JSON lines of the same filter.
      const href = await page.getByRole('link', { name: 'Export' }).getAttribute('href');
      assert.match(href, /\/audit-log\/export\?kind=client\.created/);
      const exported = await page.evaluate(async (h) => (await fetch(h)).text(), href).catch(() => null);
      if (exported !== null) {
        const lines = exported.trim().split('\n').map((l) => JSON.parse(l));
        assert.ok(lines.length >= 2 && lines.every((l) => l.type === 'client.created'));
      }
      await page.getByLabel('Kind').selectOption('client.auth_failed');
      await page.getByRole('button', { name: 'Filter' }).click();
      await page.waitForURL(/kind=client\.auth_failed/);
      await page.locator('#audit-log tbody code.kind', { hasText: 'client.auth_failed' }).first().waitFor();
    });

    it('Sessions lists a signed-in user and revokes the session, asked first', async () => {
      const { page } = session;
      const user = js ? 'alice' : 'bob';
      const signedIn = await tokenRequest(web, { grant_type: 'password', username: user, password: PASSWORD });
      assert.equal(signedIn.status, 200);
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Sessions' }).click();
      await page.getByRole('heading', { name: 'Sessions' }).waitFor();
      const row = page.locator('#sessions tbody tr', { has: page.getByRole('rowheader', { name: user }) });
      await row.waitFor();
      assert.match(await row.textContent(), /web-app/);
      await shot(page, `sessions-js-${mode}`);
      await page.getByRole('link', { name: `Revoke session of ${user}` }).click();
      await page.getByRole('alertdialog').waitFor();
      assert.match(await page.getByRole('alertdialog').textContent(), new RegExp(`Revoke the session of ${user}\\?`));
      if (js) await waitHydrated(page);
      await page.getByRole('alertdialog').getByRole('button', { name: 'Revoke' }).click();
      await page.locator('#flash').filter({ hasText: `Session of ${user} revoked.` }).waitFor();
      assert.equal(await page.locator('#sessions tbody tr', { has: page.getByRole('rowheader', { name: user }) }).count(), 0);
      const refreshed = await tokenRequest(web, { grant_type: 'refresh_token', refresh_token: signedIn.body.refresh_token });
      assert.equal(refreshed.status, 400, 'its refresh token no longer works');
    });

    if (js) {
      it('the browser console shows no errors (hydration, panics, failed requests)', () => {
        assert.deepEqual(session.consoleLog.problems(), []);
      });
    }
  });
}
