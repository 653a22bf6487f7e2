// Service Connections in the console, with JavaScript on and off: Create → a client-credentials
// connection to a second Portcullis (the third-party API) → Save; a wrong secret's Connect shows
// the provider's invalid_client and the status Error; Edit with the right secret → Connect shows
// Connected; a service granted the role fetches the token; Delete, confirmed, removes it.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CONSOLE_ADMIN, CONSOLE_PASSWORD, consoleSession, launchBrowser, repoRoot, startServer, waitHydrated } from './harness.mjs';

const SHOTS = join(repoRoot(), 'end2end', 'test-results', 'screenshots');

let server;
let upstream;
let browser;
let registered;

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  [server, upstream] = await Promise.all([startServer(), startServer()]);
  server.cli(['admin', 'create', '--username', CONSOLE_ADMIN, '--password-stdin'], { input: `${CONSOLE_PASSWORD}\n` });
  registered = JSON.parse(
    upstream.cli(['client', 'create', '--realm', 'default', '--template', 'service', '--client-id', 'portcullis-crm', '--json']),
  );
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close().catch(() => {});
  await Promise.all([server?.stop(), upstream?.stop()]);
});

async function serviceToken(clientId, secret) {
  const res = await fetch(`${server.baseUrl}/realms/default/protocol/openid-connect/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  return (await res.json()).access_token;
}

for (const js of [true, false]) {
  const mode = js ? 'on' : 'off';
  const alias = `crm-${mode}`;

  describe(`Service Connections, JavaScript ${mode}`, () => {
    const session = consoleSession(() => ({ browser, baseUrl: server.baseUrl }), js);

    it('Create → Save; Connect with a wrong secret shows the provider refusing, nothing stored', async () => {
      const { page } = session;
      const nav = page.getByRole('navigation', { name: 'Console' });
      await nav.getByRole('link', { name: 'Service Connections', exact: true }).click();
      await page.getByRole('heading', { name: 'Service Connections', level: 1 }).waitFor();
      if (js) await waitHydrated(page);
      await page.getByText('Create', { exact: true }).click();
      await page.getByLabel('Alias').fill(alias);
      await page.getByLabel('Display name').fill(`CRM ${mode}`);
      await page.getByLabel('Grant').selectOption('client_credentials');
      await page.getByLabel('Token URL').fill(`${upstream.baseUrl}/realms/default/protocol/openid-connect/token`);
      await page.getByLabel('Client ID').fill(registered.client_id);
      await page.getByLabel('Client secret').fill('not the secret');
      await page.getByRole('button', { name: 'Save' }).click();
      await page.locator('#flash').filter({ hasText: `Service connection ${alias} created` }).waitFor();
      const row = page.getByRole('row').filter({ hasText: alias });
      assert.match(await row.textContent(), /Not connected/);

      await row.getByRole('button', { name: `Connect ${alias}` }).click();
      await page.locator('#flash').filter({ hasText: 'invalid_client' }).waitFor();
      assert.match(await page.getByRole('row').filter({ hasText: alias }).textContent(), /Error/);
    });

    it('Edit with the right secret → Connect: Connected, and a service with the role gets a working token', async () => {
      const { page } = session;
      if (js) await waitHydrated(page);
      await page.getByRole('link', { name: `Edit ${alias}` }).click();
      await page.getByRole('heading', { name: `Edit CRM ${mode}` }).waitFor();
      await page.getByLabel('Client secret').fill(registered.client_secret);
      await page.getByRole('button', { name: 'Save' }).click();
      await page.locator('#flash').filter({ hasText: `Service connection ${alias} saved` }).waitFor();
      if (js) await waitHydrated(page);
      await page.getByRole('button', { name: `Connect ${alias}` }).click();
      await page.locator('#flash').filter({ hasText: `CRM ${mode} connected.` }).waitFor();
      const row = page.getByRole('row').filter({ hasText: alias });
      assert.match(await row.textContent(), /Connected/);
      assert.match(await row.textContent(), /UTC/, 'expires and last refreshed are shown');
      assert.equal(await row.getByRole('button', { name: `Reconnect ${alias}` }).count(), 1);
      if (js) await page.screenshot({ path: join(SHOTS, 'service-connections.png'), fullPage: true });

      const service = JSON.parse(
        server.cli([
          'client', 'create', '--realm', 'default', '--template', 'service', '--client-id', `sync-${mode}`,
          '--client-role', `broker:read-connection-${alias}`, '--json',
        ]),
      );
      const token = await serviceToken(service.client_id, service.client_secret);
      const res = await fetch(`${server.baseUrl}/realms/default/service-connections/${alias}/token`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(res.status, 200);
      const body = await res.json();
      const claims = JSON.parse(Buffer.from(body.access_token.split('.')[1], 'base64url').toString());
      assert.equal(claims.azp, registered.client_id, 'a token of the third party, for our client there');
    });

    it('Delete, confirmed, removes it', async () => {
      const { page } = session;
      if (js) await waitHydrated(page);
      await page.getByRole('link', { name: `Delete ${alias}` }).click();
      const dialog = page.getByRole('alertdialog', { name: `Delete service connection CRM ${mode}?` });
      await dialog.waitFor();
      if (js) await page.screenshot({ path: join(SHOTS, 'service-connections-delete.png'), fullPage: true });
      await dialog.getByRole('button', { name: `Delete ${alias}` }).click();
      await page.locator('#flash').filter({ hasText: `Service connection ${alias} deleted` }).waitFor();
      assert.equal(await page.getByRole('row').filter({ hasText: alias }).count(), 0);
    });
  });
}
