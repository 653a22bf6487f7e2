// API Keys in the console, with JavaScript on and off: API Keys → Create → Name, Roles,
// Projects → Save shows the key once in a field labelled `API key`; the key works at the admin
// REST API with exactly its roles and is reported by introspection; `Revoke`, confirmed, ends it
// at once.
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
} from './harness.mjs';

const SHOTS = join(repoRoot(), 'end2end', 'test-results', 'screenshots');

let server;
let browser;
let resourceServer;

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  server = await startServer();
  server.cli(['admin', 'create', '--username', CONSOLE_ADMIN, '--password-stdin'], { input: `${CONSOLE_PASSWORD}\n` });
  server.cli(['role', 'create', '--realm', 'default', 'reporter', '--description', 'Reads reports']);
  server.cli(['project', 'create', '--realm', 'default', '--name', 'Alpha', '--id', 'alpha']);
  const made = server.cli([
    'client', 'create', '--realm', 'default', '--template', 'service', '--client-id', 'resource-server', '--json',
  ]);
  resourceServer = JSON.parse(made);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close().catch(() => {});
  await server?.stop();
});

async function adminApi(key, path) {
  const res = await fetch(`${server.baseUrl}/admin/realms/default${path}`, { headers: { authorization: `Bearer ${key}` } });
  return { status: res.status, body: await res.json().catch(() => null) };
}

async function introspect(key) {
  const { client_id: id, client_secret: secret } = resourceServer;
  const res = await fetch(`${server.baseUrl}/realms/default/protocol/openid-connect/token/introspect`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ token: key }).toString(),
  });
  return res.json();
}

for (const js of [true, false]) {
  const mode = js ? 'on' : 'off';
  const name = `nightly-${mode}`;

  describe(`API Keys, JavaScript ${mode}`, () => {
    const session = consoleSession(() => ({ browser, baseUrl: server.baseUrl }), js);
    let key;

    it('API Keys → Create → Name, Roles, Projects → Save shows the key once', async () => {
      const { page } = session;
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'API Keys', exact: true }).click();
      await page.getByRole('heading', { name: 'API Keys', level: 1 }).waitFor();
      if (js) await waitHydrated(page);
      await page.getByText('Create', { exact: true }).click();
      // A blank name is refused beside its field, and what was chosen stays.
      await page.getByLabel('Expires in (days)').fill('30');
      await page.getByRole('button', { name: 'Save' }).click();
      await page.locator('#flash').filter({ hasText: 'Name must be 1-200 characters' }).waitFor();
      assert.equal(await page.getByLabel('Name', { exact: true }).getAttribute('aria-invalid'), 'true');

      await page.getByLabel('Name', { exact: true }).fill(name);
      await page.getByLabel('Roles').selectOption(['realm-management:view-clients', 'reporter']);
      await page.getByLabel('Alpha').check();
      await page.getByLabel('Expires in (days)').fill('30');
      await page.getByRole('button', { name: 'Save' }).click();
      await page.locator('#flash').filter({ hasText: `API key ${name} created` }).waitFor();
      key = await page.getByLabel('API key', { exact: true }).inputValue();
      assert.match(key, /^pcs_[0-9a-f]{16}_/);
      const row = page.getByRole('row').filter({ hasText: name });
      assert.match(await row.textContent(), /Active/);
      assert.match(await row.textContent(), /reporter/);
      if (js) await page.screenshot({ path: join(SHOTS, 'api-keys.png'), fullPage: true });

      // Shown once: after a reload the field is gone.
      await page.reload();
      await page.getByRole('heading', { name: 'API Keys', level: 1 }).waitFor();
      assert.equal(await page.getByLabel('API key', { exact: true }).count(), 0);
    });

    it('the key works at the admin API with exactly its roles, and introspection reports it', async () => {
      const clients = await adminApi(key, '/clients');
      assert.equal(clients.status, 200);
      assert.ok(clients.body.some((c) => c.clientId === 'resource-server'));
      assert.equal((await adminApi(key, '/users')).status, 403, 'view-clients is not view-users');
      const seen = await introspect(key);
      assert.equal(seen.active, true);
      assert.equal(seen.token_type, 'api_key');
      assert.deepEqual(seen.projects, ['alpha']);
      assert.deepEqual(seen.realm_access.roles, ['reporter']);
      assert.deepEqual(seen.resource_access['realm-management'].roles, ['query-clients', 'view-clients'], 'composites expanded');
      assert.ok(seen.exp > Date.now() / 1000 + 29 * 86400, 'expires in 30 days');
    });

    it('Revoke, confirmed, ends the key at once', async () => {
      const { page } = session;
      if (js) await waitHydrated(page);
      await page.getByRole('link', { name: `Revoke ${name}` }).click();
      const dialog = page.getByRole('alertdialog', { name: `Revoke API key ${name}?` });
      await dialog.waitFor();
      await dialog.getByRole('button', { name: 'Revoke' }).click();
      await page.locator('#flash').filter({ hasText: `API key ${name} revoked` }).waitFor();
      const row = page.getByRole('row').filter({ hasText: name });
      assert.match(await row.textContent(), /Revoked/);
      assert.match(await row.textContent(), /UTC/, 'last used is shown');
      assert.equal(await page.getByRole('link', { name: `Revoke ${name}` }).count(), 0);
      assert.equal((await adminApi(key, '/clients')).status, 401);
      assert.deepEqual(await introspect(key), { active: false });
      if (js) await page.screenshot({ path: join(SHOTS, 'api-keys-revoked.png'), fullPage: true });
    });

    it('the Audit Log shows the key made and revoked', async () => {
      const { page } = session;
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Audit Log', exact: true }).click();
      await page.getByRole('heading', { name: 'Audit Log', level: 1 }).waitFor();
      if (js) await waitHydrated(page);
      for (const kind of ['api_key.created', 'api_key.revoked']) {
        await page.getByLabel('Kind').selectOption(kind);
        await Promise.all([page.waitForURL(new RegExp(`kind=${kind}`)), page.getByRole('button', { name: 'Filter' }).click()]);
        await page.getByRole('row').filter({ hasText: name }).filter({ hasText: kind }).waitFor();
      }
    });

    if (js) {
      it('the browser console shows no errors', () => {
        assert.deepEqual(session.consoleLog.problems(), []);
      });
    }
  });
}
