// The administrators' written procedure, word for word, in Chromium with JavaScript on and off:
// OAuth Clients → Create → OAuth Client ID → Save; the secret on the Credentials tab works at
// the token endpoint; Access Token Lifespan changes `expires_in`; a role added on the Service
// Account Roles tab is in the next token; Revocation → Set to now revokes the token in hand;
// Regenerate Secret refuses the old secret; Delete, confirmed. Then a view-realm administrator
// who sees everything and can change nothing. Controls are found by the names a person sees.
// Each console page is saved as a screenshot under test-results/screenshots/.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CONSOLE_ADMIN,
  CONSOLE_PASSWORD,
  consoleSession,
  consoleSignIn,
  launchBrowser,
  repoRoot,
  startServer,
  waitHydrated,
  watchConsole,
  waitCurrent,
} from './harness.mjs';

const [ADMIN, PASSWORD] = [CONSOLE_ADMIN, CONSOLE_PASSWORD];
const SHOTS = join(repoRoot(), 'end2end', 'test-results', 'screenshots');

let server;
let browser;

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  server = await startServer();
  server.cli(['admin', 'create', '--username', ADMIN, '--password-stdin'], { input: `${PASSWORD}\n` });
  server.cli(['role', 'create', '--realm', 'default', 'reporter', '--description', 'Reads reports']);
  server.cli(
    ['user', 'create', '--realm', 'default', '--username', 'viewer', '--role', 'view-realm', '--password-stdin'],
    { input: `${PASSWORD}\n` },
  );
  server.cli(['client', 'create', '--realm', 'default', '--template', 'service', '--client-id', 'existing-job']);
  for (const [id, name] of [['alpha', 'Alpha'], ['beta', 'Beta']]) {
    server.cli(['project', 'create', '--realm', 'default', '--name', name, '--id', id]);
  }
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close().catch(() => {});
  await server?.stop();
});

async function token(clientId, secret) {
  const res = await fetch(`${server.baseUrl}/realms/default/protocol/openid-connect/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  return { status: res.status, body: await res.json() };
}

async function introspect(clientId, secret, accessToken) {
  const res = await fetch(`${server.baseUrl}/realms/default/protocol/openid-connect/token/introspect`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ token: accessToken }).toString(),
  });
  return res.json();
}

function claims(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
}

async function signIn(page, username, realm) {
  await consoleSignIn(page, server.baseUrl, username, { realm });
}

/** Waits for the flash that says `text`. */
async function flash(page, text) {
  await page.locator('#flash').filter({ hasText: text }).waitFor();
}

async function shot(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** A signed-in console page for the enclosing `describe` (see `consoleSession`). */
function signedInPage(js, username = ADMIN) {
  return consoleSession(() => ({ browser, baseUrl: server.baseUrl }), js, { username });
}

for (const js of [true, false]) {
  const mode = js ? 'on' : 'off';
  const id = `reports-job-${mode}`;

  describe(`the seed procedure, JavaScript ${mode}`, () => {
    let context;
    let page;
    let consoleLog;
    let secret;

    before(async () => {
      context = await browser.newContext({ javaScriptEnabled: js, viewport: { width: 1280, height: 900 } });
      context.setDefaultTimeout(15_000);
      page = await context.newPage();
      consoleLog = watchConsole(page);
      await signIn(page, ADMIN);
    });

    after(async () => {
      await context?.close().catch(() => {});
    });

    /** After the page hydrated (JavaScript on), a marker proves no change reloads the page. */
    async function settle() {
      if (!js) return;
      await waitHydrated(page);
      await page.evaluate(() => {
        window.__sameDocument = true;
      });
    }

    async function stillSameDocument() {
      if (js) assert.equal(await page.evaluate(() => window.__sameDocument), true, 'no full reload');
    }

    it('OAuth Clients → Create → OAuth Client ID → Save shows the secret on the Credentials tab', async () => {
      const sidebar = page.getByRole('navigation', { name: 'Console' });
      await sidebar.getByRole('link', { name: 'OAuth Clients', exact: true }).click();
      await page.getByRole('heading', { name: 'OAuth Clients' }).waitFor();
      await waitCurrent(sidebar.getByRole('link', { name: 'OAuth Clients', exact: true }));
      if (js) await shot(page, 'clients-list');
      await page.getByRole('link', { name: 'Create', exact: true }).click();
      // A bad id is refused beside its field; what was typed stays.
      await page.getByLabel('OAuth Client ID').fill('has a space');
      await page.getByLabel('Name', { exact: true }).fill(`Reports (${mode})`);
      await page.getByRole('button', { name: 'Save' }).click();
      await flash(page, 'invalid client id');
      assert.equal(await page.getByLabel('OAuth Client ID').getAttribute('aria-invalid'), 'true');
      assert.match(await page.locator('#client_id-error').textContent(), /printable ASCII/);
      assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), `Reports (${mode})`);
      if (js) {
        await page.waitForFunction(() => document.activeElement?.id === 'client_id');
        await shot(page, 'client-create-error');
      }
      await page.getByLabel('OAuth Client ID').fill(id);
      await page.getByLabel('Name', { exact: true }).fill(`Reports (${mode})`);
      await page.getByLabel('Description').fill('Nightly report job');
      await page.getByRole('radio', { name: 'Service', exact: true }).check();
      if (js) await shot(page, 'client-create');
      await page.getByRole('button', { name: 'Save' }).click();
      await flash(page, `Client ${id} created`);
      const tab = page.getByRole('navigation', { name: 'Client' }).getByRole('link', { name: 'Credentials' });
      await waitCurrent(tab);
      secret = await page.getByLabel('Client secret').inputValue();
      assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
      if (js) {
        await waitHydrated(page);
        await page.getByRole('button', { name: 'Copy' }).waitFor();
        await shot(page, 'client-credentials');
      }
      const res = await token(id, secret);
      assert.equal(res.status, 200);
      assert.equal(res.body.expires_in, 300);
    });

    it('Settings → Access Token Lifespan changes expires_in', async () => {
      await page.getByRole('navigation', { name: 'Client' }).getByRole('link', { name: 'Settings' }).click();
      await page.getByLabel('Access Token Lifespan', { exact: true }).waitFor();
      await settle();
      const field = page.getByLabel('Access Token Lifespan', { exact: true });
      assert.equal(await field.getAttribute('placeholder'), '300', "blank: the realm's default");
      await field.fill('900');
      await page.getByRole('button', { name: 'Save' }).click();
      await flash(page, 'Saved: access token lifespan');
      await stillSameDocument();
      if (js) await shot(page, 'client-settings');
      assert.equal((await token(id, secret)).body.expires_in, 900);
    });

    it('Service Account Roles → Available → Add selected puts the role in the token', async () => {
      await page.getByRole('link', { name: 'Service Account Roles' }).click();
      await page.getByLabel('Available').waitFor();
      await settle();
      await page.getByLabel('Available').selectOption('reporter');
      await page.getByRole('button', { name: 'Add selected' }).click();
      await flash(page, '1 role added');
      await stillSameDocument();
      assert.deepEqual(
        await page.getByLabel('Assigned').locator('option').allTextContents(),
        ['reporter — Reads reports'],
      );
      if (js) await shot(page, 'client-service-account-roles');
      const { body } = await token(id, secret);
      assert.ok(claims(body.access_token).realm_access.roles.includes('reporter'));
      // OAuth Client Roles: another client's roles, chosen above the lists.
      await page.getByLabel('OAuth Client Roles').selectOption('realm-management');
      await Promise.all([page.waitForURL(/roles=realm-management/), page.getByRole('button', { name: 'Show roles' }).click()]);
      await page.getByLabel('Available').locator('option[value="realm-management:manage-clients"]').waitFor({ state: 'attached' });
      await stillSameDocument();
    });

    it('Revocation → Not Before → Set to now revokes the token in hand', async () => {
      const inHand = (await token(id, secret)).body.access_token;
      assert.equal((await introspect(id, secret, inHand)).active, true);
      await page.getByRole('link', { name: 'Revocation' }).click();
      await page.getByRole('button', { name: 'Set to now' }).waitFor();
      await settle();
      // Not-before has whole seconds, like the token's iat: start the next second first.
      await sleep(1_000 - (Date.now() % 1_000) + 20);
      await page.getByRole('button', { name: 'Set to now' }).click();
      await flash(page, 'Not Before set to');
      await stillSameDocument();
      assert.notEqual(await page.getByLabel('Not Before', { exact: true }).inputValue(), '', 'the field shows the time');
      if (js) await shot(page, 'client-revocation');
      assert.equal((await introspect(id, secret, inHand)).active, false);
    });

    it('Credentials → Regenerate Secret refuses the old secret', async () => {
      await page.getByRole('link', { name: 'Credentials' }).click();
      await page.getByRole('button', { name: 'Regenerate Secret' }).waitFor();
      assert.equal(await page.getByLabel('Client secret').count(), 0, 'the old secret is not shown again');
      await settle();
      await page.getByRole('button', { name: 'Regenerate Secret' }).click();
      await flash(page, 'New secret made');
      await stillSameDocument();
      const fresh = await page.getByLabel('Client secret').inputValue();
      assert.notEqual(fresh, secret);
      assert.equal((await token(id, secret)).status, 401, 'the old secret is refused');
      assert.equal((await token(id, fresh)).status, 200);
      secret = fresh;
    });

    it('the Audit tab lists the changes', async () => {
      await page.getByRole('link', { name: 'Audit', exact: true }).click();
      await page.locator('table#audit').waitFor();
      const kinds = await page.locator('table#audit tbody td:nth-child(2)').allTextContents();
      for (const kind of ['client.created', 'client.updated', 'client.service_account_roles_added', 'client.not_before', 'client.secret_regenerated']) {
        assert.ok(kinds.includes(kind), `${kind} in ${kinds}`);
      }
      if (js) await shot(page, 'client-audit');
    });

    it('Delete next to the client asks, names it, and deletes it', async () => {
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'OAuth Clients', exact: true }).click();
      await page.getByRole('link', { name: `Delete ${id}` }).click();
      const dialog = page.getByRole('alertdialog');
      assert.match(await dialog.getByRole('heading').textContent(), new RegExp(`Delete client ${id}\\?`));
      if (js) {
        await page.waitForFunction(() => document.activeElement?.getAttribute('role') === 'alertdialog');
        await shot(page, 'client-delete');
      }
      await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
      await flash(page, `Client ${id} deleted`);
      assert.equal(await page.locator(`tr[data-client-id="${id}"]`).count(), 0);
      assert.equal((await token(id, secret)).status, 401);
    });

    it('Roles → Create → Role name → Save', async () => {
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Roles', exact: true }).click();
      await page.getByRole('heading', { name: 'Roles', exact: true }).waitFor();
      await page.getByText('Create', { exact: true }).click();
      await page.getByLabel('Role name').fill(`auditor-${mode}`);
      await page.getByLabel('Description', { exact: true }).fill('Reads the audit log');
      await page.getByRole('button', { name: 'Save' }).click();
      await flash(page, `Role auditor-${mode} created`);
      await page.getByRole('rowheader', { name: `auditor-${mode}` }).waitFor();
      if (js) await shot(page, 'roles');
    });

    it('Realm Settings and the sections to come are in the same layout', async () => {
      const sidebar = page.getByRole('navigation', { name: 'Console' });
      await sidebar.getByRole('link', { name: 'Realm Settings' }).click();
      await page.getByLabel('OAuth clients').waitFor();
      assert.equal(await page.getByLabel('OAuth clients').isChecked(), true);
      if (js) await shot(page, 'realm-settings');
      for (const name of ['Dashboard', 'Client Scopes', 'Users', 'Projects', 'API Keys', 'Sessions', 'Audit Log', 'Signing Keys']) {
        assert.equal(await sidebar.getByRole('link', { name, exact: true }).count(), 1, name);
      }
      await sidebar.getByRole('link', { name: 'Users', exact: true }).click();
      await page.getByRole('heading', { name: 'Users', exact: true }).waitFor();
      assert.equal(await page.getByLabel('Realm').inputValue(), 'default');
      assert.equal(await page.getByRole('button', { name: 'Sign out' }).count(), 1);
    });

    if (js) {
      it('the browser console shows no errors (hydration, panics, failed requests)', () => {
        assert.deepEqual(consoleLog.problems(), []);
      });
    }
  });
}

describe('a view-realm administrator sees and cannot change', () => {
  let context;
  let page;

  before(async () => {
    context = await browser.newContext({ javaScriptEnabled: true, viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(15_000);
    page = await context.newPage();
    await signIn(page, 'viewer', 'default');
  });

  after(async () => {
    await context?.close().catch(() => {});
  });

  it('lists the clients without Create, Edit or Delete', async () => {
    await page.locator('tr[data-client-id="existing-job"]').waitFor();
    assert.equal(await page.getByRole('link', { name: 'Create', exact: true }).count(), 0);
    assert.equal(await page.getByRole('link', { name: 'Delete existing-job' }).count(), 0);
    assert.equal(await page.getByLabel('Realm').locator('option').count(), 1, 'only their own realm');
    await waitHydrated(page);
    await shot(page, 'viewer-clients');
  });

  it("sees a client's settings read-only and cannot regenerate its secret", async () => {
    await page.getByRole('link', { name: 'View existing-job' }).click();
    const field = page.getByLabel('Access Token Lifespan', { exact: true });
    await field.waitFor();
    assert.equal(await field.isDisabled(), true);
    assert.equal(await page.getByRole('button', { name: 'Save' }).count(), 0);
    await page.getByRole('link', { name: 'Credentials' }).click();
    await page.getByText('The secret is shown only once').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Regenerate Secret' }).count(), 0);
    await page.getByRole('link', { name: 'Revocation' }).click();
    assert.equal(await page.getByRole('button', { name: 'Set to now' }).isDisabled(), true);
  });

  it('sees the realm settings read-only', async () => {
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Realm Settings' }).click();
    await page.getByLabel('OAuth clients').waitFor();
    assert.equal(await page.getByLabel('OAuth clients').isDisabled(), true);
    assert.equal(await page.getByRole('button', { name: 'Save' }).count(), 0);
  });
});

for (const js of [true, false]) {
  describe(`API Reference, JavaScript ${js ? 'on' : 'off'}`, () => {
    const session = signedInPage(js);

    it('lists every operation of the OpenAPI document, with this realm\'s URLs', async () => {
      const { page } = session;
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'API Reference' }).click();
      await page.getByRole('heading', { name: 'API Reference', level: 1 }).waitFor();
      const doc = await (await fetch(`${server.baseUrl}/admin/openapi.json`)).json();
      const operations = Object.values(doc.paths).flatMap((item) => Object.keys(item));
      const rows = page.locator('table.api tbody tr');
      assert.equal(await rows.count(), operations.length, 'one row per operation');
      assert.match(await page.locator('dl.facts').textContent(), new RegExp(`${server.baseUrl}/admin/realms/default`));
      // The Clients section, found by its heading, has the secret's operations.
      const clients = page.getByRole('region', { name: 'Clients' });
      const secret = clients.getByRole('row').filter({ hasText: '/admin/realms/{realm}/clients/{id}/client-secret' });
      assert.deepEqual(
        (await secret.locator('.method').allTextContents()).sort(),
        ['GET', 'POST'],
      );
      assert.match(await secret.first().textContent(), /manage-clients/);
      // The table of contents leads to each section.
      await page.getByRole('navigation', { name: 'API sections' }).getByRole('link', { name: 'Role mappings' }).click();
      assert.match(page.url(), /#role-mappings$/);
      if (js) await shot(page, 'api-reference');
      // The document itself is one link away.
      const href = await page.getByRole('link', { name: '/admin/openapi.json' }).getAttribute('href');
      assert.equal(href, '/admin/openapi.json');
    });

    if (js) {
      it('the browser console shows no errors', () => {
        assert.deepEqual(session.consoleLog.problems(), []);
      });
    }
  });
}

for (const js of [true, false]) {
  const mode = js ? 'on' : 'off';
  const id = `project-job-${mode}`;

  describe(`Project Access, JavaScript ${mode}`, () => {
    let secret;
    before(() => {
      secret = JSON.parse(
        server.cli(['client', 'create', '--realm', 'default', '--template', 'service', '--client-id', id, '--json']),
      ).client_secret;
    });
    const session = signedInPage(js);

    it('a project token once the Project Access tab grants the project, refused for another', async () => {
      const { page } = session;
      const scoped = (scope) =>
        fetch(`${server.baseUrl}/realms/default/protocol/openid-connect/token`, {
          method: 'POST',
          headers: {
            authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`,
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: new URLSearchParams({ grant_type: 'client_credentials', scope }).toString(),
        });
      const before = await scoped('project-alpha');
      assert.equal(before.status, 400);
      assert.equal((await before.json()).error, 'invalid_scope');

      await page.goto(`${server.baseUrl}/admin/default/console/clients/${id}/project-access`);
      await page.getByRole('group', { name: 'Projects this client may ask a token for' }).waitFor();
      if (js) await waitHydrated(page);
      await page.getByRole('checkbox', { name: /^Alpha/ }).check();
      await page.getByRole('button', { name: 'Save' }).click();
      await flash(page, 'Project access saved.');
      assert.equal(await page.getByRole('checkbox', { name: /^Alpha/ }).isChecked(), true);
      assert.equal(await page.getByRole('checkbox', { name: /^Beta/ }).isChecked(), false);
      if (js) await shot(page, 'client-project-access');

      const res = await scoped('project-alpha');
      assert.equal(res.status, 200);
      const body = await res.json();
      assert.ok(body.scope.split(' ').includes('project-alpha'), body.scope);
      assert.equal(claims(body.access_token).project, 'alpha');
      const other = await scoped('project-beta');
      assert.equal(other.status, 400);
      assert.equal((await other.json()).error, 'invalid_scope');
    });

    if (js) {
      it('the browser console shows no errors', () => {
        assert.deepEqual(session.consoleLog.problems(), []);
      });
    }
  });
}

for (const js of [true, false]) {
  const mode = js ? 'on' : 'off';

  describe(`Projects, JavaScript ${mode}`, () => {
    const session = signedInPage(js);

    it('Projects → Create → Project ID, Name → Save lists it; a bad id is refused beside its field', async () => {
      const { page } = session;
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Projects', exact: true }).click();
      await page.getByRole('heading', { name: 'Projects', level: 1 }).waitFor();
      if (js) await waitHydrated(page);
      await page.getByText('Create', { exact: true }).click();
      await page.getByLabel('Project ID').fill('Not Valid');
      await page.getByLabel('Name', { exact: true }).fill(`Gamma ${mode}`);
      await page.getByRole('button', { name: 'Save' }).click();
      await flash(page, 'invalid project id');
      assert.equal(await page.getByLabel('Project ID').getAttribute('aria-invalid'), 'true');
      assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), `Gamma ${mode}`);
      await page.getByLabel('Project ID').fill(`gamma-${mode}`);
      await page.getByLabel('Description').fill('Reports for the Gamma team');
      await page.getByRole('button', { name: 'Save' }).click();
      await flash(page, `Project Gamma ${mode} created`);
      const row = page.getByRole('row').filter({ hasText: `project-gamma-${mode}` });
      assert.equal(await row.getByRole('rowheader').textContent(), `Gamma ${mode}`);
      assert.match(await row.textContent(), /Reports for the Gamma team/);
      // The seed projects list the clients given them.
      const alpha = page.getByRole('row').filter({ hasText: 'project-alpha' });
      await alpha.waitFor();
      if (js) await shot(page, 'projects');
    });

    if (js) {
      it('the browser console shows no errors', () => {
        assert.deepEqual(session.consoleLog.problems(), []);
      });
    }
  });
}

describe('the end-user pages do not carry the console', () => {
  it("the sign-in page loads the main WASM module only, and a console page its own chunk", async () => {
    const context = await browser.newContext({ javaScriptEnabled: true });
    try {
      const page = await context.newPage();
      const wasm = [];
      page.on('request', (r) => {
        if (new URL(r.url()).pathname.endsWith('.wasm')) wasm.push(new URL(r.url()).pathname);
      });
      await page.goto(`${server.baseUrl}/realms/default/login`);
      await waitHydrated(page);
      assert.deepEqual(wasm, ['/pkg/portcullis.wasm'], 'no console chunk on the sign-in page');
      // Signing in to the console fetches the console's chunks, lazily.
      await signIn(page, ADMIN);
      await waitHydrated(page);
      assert.ok(wasm.some((p) => /split_.*clients_route/.test(p)), `the clients page's chunk was loaded: ${wasm}`);
    } finally {
      await context.close().catch(() => {});
    }
  });
});
