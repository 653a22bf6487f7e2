// The console's Identity Providers pages in Chromium with JavaScript on and off: Identity
// Providers → Create → an OAuth 2.0 provider by its endpoints (loopback URLs: nothing upstream
// is called), a bad URL refused beside its field with what was typed kept → Save → the
// provider's page with its redirect URI → listed; an OpenID Connect provider by its discovery
// URL (this same server's master realm is its own upstream); Edit → Save; Delete, confirmed →
// gone. A user's Identity Provider Links tab: a link made through the admin REST API, Unlink,
// confirmed. An administrator with only view-identity-providers sees no Create, Edit or Delete.
// Screenshots under test-results/screenshots/.

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
  waitCurrent,
  waitHydrated,
} from './harness.mjs';

const SHOTS = join(repoRoot(), 'end2end', 'test-results', 'screenshots');

let server;
let browser;
let apiKey;
let daveId;

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  server = await startServer();
  server.cli(['admin', 'create', '--username', CONSOLE_ADMIN, '--password-stdin'], { input: `${CONSOLE_PASSWORD}\n` });
  server.cli(['user', 'create', '--realm', 'default', '--username', 'idp-viewer', '--password-stdin'], {
    input: `${CONSOLE_PASSWORD}\n`,
  });
  server.cli([
    'user', 'grant', '--realm', 'default', '--username', 'idp-viewer', '--client-role',
    'realm-management:view-identity-providers',
  ]);
  server.cli(['user', 'create', '--realm', 'default', '--username', 'dave', '--password-stdin'], {
    input: 'a long password\n',
  });
  apiKey = JSON.parse(
    server.cli([
      'api-key', 'create', '--realm', 'default', '--name', 'links', '--role', 'realm-management:manage-users',
      '--role', 'realm-management:view-users', '--json',
    ]),
  ).key;
  const users = await adminApi('GET', '/users?username=dave&exact=true');
  daveId = users.body[0].id;
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close().catch(() => {});
  await server?.stop();
});

async function adminApi(method, path, body) {
  const res = await fetch(`${server.baseUrl}/admin/realms/default${path}`, {
    method,
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

async function shot(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

async function flash(page, text) {
  await page.locator('#flash').filter({ hasText: text }).waitFor();
}

for (const js of [true, false]) {
  const mode = js ? 'on' : 'off';
  const github = `github-${mode}`;
  const self = `self-${mode}`;

  describe(`the Identity Providers pages, JavaScript ${mode}`, () => {
    const session = consoleSession(() => ({ browser, baseUrl: server.baseUrl }), js, { timeout: 20_000 });
    let page;

    before(() => {
      ({ page } = session);
    });

    async function settle() {
      if (js) await waitHydrated(page);
    }

    async function openList() {
      await page.goto(`${server.baseUrl}/admin/default/console/users`);
      await settle();
      const sidebar = page.getByRole('navigation', { name: 'Console' });
      const link = sidebar.getByRole('link', { name: 'Identity Providers', exact: true });
      await link.click();
      await page.getByRole('heading', { name: 'Identity Providers', level: 1 }).waitFor();
      await waitCurrent(link);
      await settle();
    }

    it('Identity Providers → Create → OAuth 2.0 by endpoints → a bad URL, then Save → listed', async () => {
      await openList();
      await page.getByRole('link', { name: 'Create', exact: true }).click();
      await page.getByLabel('Alias').waitFor();
      await settle();
      await page.getByLabel('Alias').fill(github);
      await page.getByLabel('Display name').fill(`GitHub ${mode}`);
      await page.getByLabel('OAuth 2.0 (manual endpoints)').check();
      await page.getByLabel('Authorization URL').fill('http://127.0.0.1:9/authorize');
      await page.getByLabel('Token URL').fill('http://up.example.com/token');
      await page.getByLabel('Userinfo URL').fill('http://127.0.0.1:9/user');
      await page.getByLabel('Client ID').fill('gh-client');
      await page.getByLabel('Client secret').fill('gh-secret');
      await page.getByLabel('Scopes').fill('read:user user:email');
      await page.getByLabel('Username claim').fill('login');
      await page.getByLabel('Client authentication').selectOption('client_secret_post');
      await page.getByLabel('Store tokens').check();
      await page.getByLabel('Review profile').selectOption({ label: 'Off' });
      if (js) await shot(page, 'idp-create');
      await page.getByRole('button', { name: 'Save' }).click();
      // Refused beside Token URL; the rest as typed, the secret to type again.
      await flash(page, 'must be an https URL');
      assert.equal(await page.getByLabel('Token URL').getAttribute('aria-invalid'), 'true');
      assert.match(await page.locator('#token_url-error').textContent(), /https/);
      assert.equal(await page.getByLabel('Token URL').inputValue(), 'http://up.example.com/token');
      assert.equal(await page.getByLabel('Alias').inputValue(), github);
      assert.equal(await page.getByLabel('OAuth 2.0 (manual endpoints)').isChecked(), true);
      assert.equal(await page.getByLabel('Store tokens').isChecked(), true);
      // Without JavaScript the page comes back from the server, which never sends a secret back.
      if (!js) assert.equal(await page.getByLabel('Client secret').inputValue(), '');
      if (js) await shot(page, 'idp-error');
      await page.getByLabel('Token URL').fill('http://127.0.0.1:9/token');
      await page.getByLabel('Client secret').fill('gh-secret');
      await page.getByRole('button', { name: 'Save' }).click();
      await flash(page, `Identity provider GitHub ${mode} created.`);
      await page.waitForURL(new RegExp(`/identity-providers/${github}$`));
      assert.equal(
        await page.getByLabel('Redirect URI').inputValue(),
        `${server.baseUrl}/realms/default/broker/${github}/endpoint`,
      );
      assert.equal(await page.getByLabel('Client secret').inputValue(), '', 'the secret is never shown');
      if (js) await shot(page, 'idp-edit');
      await openList();
      const row = page.locator(`#identity-providers tr[data-alias="${github}"]`);
      await row.waitFor();
      assert.match(await row.textContent(), /OAuth 2\.0/);
      assert.match(await row.textContent(), /Enabled/);
    });

    it('Create → OpenID Connect by discovery URL (this server as its own upstream)', async () => {
      await page.getByRole('link', { name: 'Create', exact: true }).click();
      await page.getByLabel('Alias').waitFor();
      await settle();
      await page.getByLabel('Alias').fill(self);
      await page.getByLabel('Display name').fill(`Portcullis ${mode}`);
      await page.getByLabel('OpenID Connect (discovery URL)').check();
      await page.getByLabel('Discovery URL', { exact: true }).fill(
        `${server.baseUrl}/realms/master/.well-known/openid-configuration`,
      );
      await page.getByLabel('Client ID').fill('portcullis');
      await page.getByRole('button', { name: 'Save' }).click();
      await flash(page, `Identity provider Portcullis ${mode} created.`);
      await page.getByText(`${server.baseUrl}/realms/master`, { exact: true }).waitFor();
    });

    it('Edit → change a field → Save', async () => {
      await openList();
      await page.getByRole('link', { name: `Edit ${github}` }).click();
      await page.getByLabel('Display name').waitFor();
      await settle();
      await page.getByLabel('Display name').fill(`GitHub.com ${mode}`);
      await page.getByLabel('Sign-in order').fill('5');
      await page.getByRole('button', { name: 'Save' }).click();
      await flash(page, `Identity provider GitHub.com ${mode} saved.`);
      assert.equal(await page.getByLabel('Sign-in order').inputValue(), '5');
      await openList();
      const row = page.locator(`#identity-providers tr[data-alias="${github}"]`);
      assert.match(await row.textContent(), new RegExp(`GitHub\\.com ${mode}`));
      if (js) await shot(page, 'idp-list');
    });

    it('Delete, confirmed → gone', async () => {
      await page.getByRole('link', { name: `Delete ${self}` }).click();
      const dialog = page.getByRole('alertdialog', { name: `Delete identity provider Portcullis ${mode}?` });
      await dialog.waitFor();
      assert.match(await dialog.textContent(), /lose the link/);
      if (js) await shot(page, 'idp-delete');
      await dialog.getByRole('button', { name: 'Delete' }).click();
      await flash(page, `Identity provider ${self} deleted`);
      await page.locator(`#identity-providers tr[data-alias="${github}"]`).waitFor();
      assert.equal(await page.locator(`#identity-providers tr[data-alias="${self}"]`).count(), 0);
    });

    it("a user's Identity Provider Links tab: Unlink, confirmed", async () => {
      const linked = await adminApi('POST', `/users/${daveId}/federated-identity/${github}`, {
        identityProvider: github, userId: `5832-${mode}`, userName: `octocat-${mode}`,
      });
      assert.equal(linked.status, 204, JSON.stringify(linked.body));
      await page.goto(`${server.baseUrl}/admin/default/console/users/${daveId}/details`);
      await settle();
      const tab = page.getByRole('navigation', { name: 'User' }).getByRole('link', { name: 'Identity Provider Links' });
      await tab.click();
      await waitCurrent(tab);
      await settle();
      const row = page.locator(`#idp-links tr[data-alias="${github}"]`);
      await row.waitFor();
      assert.match(await row.textContent(), new RegExp(`octocat-${mode}.*5832-${mode}`));
      if (js) await shot(page, 'idp-links');
      await page.getByRole('link', { name: `Unlink GitHub.com ${mode}` }).click();
      const dialog = page.getByRole('alertdialog', { name: `Unlink dave from GitHub.com ${mode}?` });
      await dialog.getByRole('button', { name: 'Unlink' }).click();
      await flash(page, `Unlinked from ${github}`);
      await page.locator('#no-idp-links').waitFor();
      assert.deepEqual((await adminApi('GET', `/users/${daveId}/federated-identity`)).body, []);
    });

    if (js) {
      it('the browser console shows no errors', () => {
        assert.deepEqual(session.consoleLog.problems(), []);
      });
    }
  });
}

describe('an administrator with only view-identity-providers', () => {
  const session = consoleSession(() => ({ browser, baseUrl: server.baseUrl }), true, {
    username: 'idp-viewer',
    realm: 'default',
  });

  it('sees the providers without Create, Edit, Delete or Save', async () => {
    const { page } = session;
    await page.goto(`${server.baseUrl}/admin/default/console/identity-providers`);
    await page.locator('#identity-providers tr[data-alias="github-on"]').waitFor();
    assert.equal(await page.getByRole('link', { name: 'Create', exact: true }).count(), 0);
    assert.equal(await page.getByRole('link', { name: /^(Edit|Delete) / }).count(), 0);
    await page.getByRole('link', { name: 'View github-on' }).click();
    await page.getByLabel('Display name').waitFor();
    assert.equal(await page.getByLabel('Display name').isDisabled(), true);
    assert.equal(await page.getByRole('button', { name: 'Save' }).count(), 0);
  });
});
