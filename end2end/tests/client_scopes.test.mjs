// Client Scopes in the console, with JavaScript on and off: Create with Description, Implies
// and For new clients; what each scope grants in the end; Edit; Delete, confirmed. A new client
// gets the realm's default scope, and its Settings tab picks the scopes it may ask for; the
// token endpoint then grants them.
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

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  server = await startServer();
  server.cli(['admin', 'create', '--username', CONSOLE_ADMIN, '--password-stdin'], { input: `${CONSOLE_PASSWORD}\n` });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close().catch(() => {});
  await server?.stop();
});

async function token(client, scope) {
  const res = await fetch(`${server.baseUrl}/realms/default/protocol/openid-connect/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) }).toString(),
  });
  return { status: res.status, body: await res.json() };
}

for (const js of [true, false]) {
  const mode = js ? 'on' : 'off';
  const [read, write, admin] = [`read:report-${mode}`, `write:report-${mode}`, `admin:report-${mode}`];

  describe(`Client Scopes, JavaScript ${mode}`, () => {
    const session = consoleSession(() => ({ browser, baseUrl: server.baseUrl }), js);

    async function create(name, description, { implies = [], forNew = 'Not given' } = {}) {
      // The form stays open after a hydrated create; without JavaScript the page comes back closed.
      if (!(await session.page.locator('details.create').evaluate((d) => d.open))) {
        await session.page.getByText('Create', { exact: true }).click();
      }
      await session.page.getByLabel('Name', { exact: true }).fill(name);
      await session.page.getByLabel('Description').fill(description);
      if (implies.length) await session.page.getByLabel('Implies').selectOption(implies);
      await session.page.getByLabel('For new clients').selectOption({ label: forNew });
      await session.page.getByRole('button', { name: 'Save' }).click();
    }

    const flash = (text) => session.page.locator('#flash').filter({ hasText: text }).waitFor();

    it('Client Scopes → Create: descriptions, implications, and what each grants in the end', async () => {
      const { page } = session;
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Client Scopes', exact: true }).click();
      await page.getByRole('heading', { name: 'Client Scopes', level: 1 }).waitFor();
      if (js) await waitHydrated(page);
      await create('bad name', 'x');
      await flash('invalid scope name');
      assert.equal(await page.getByLabel('Name', { exact: true }).getAttribute('aria-invalid'), 'true');
      await page.getByLabel('Name', { exact: true }).fill(read);
      await page.getByLabel('Description').fill('Read your reports');
      await page.getByRole('button', { name: 'Save' }).click();
      await flash(`Scope ${read} created`);
      await create(write, 'Change your reports', { forNew: 'Default' });
      await flash(`Scope ${write} created`);
      await create(admin, 'Everything about reports', { implies: [write] });
      await flash(`Scope ${admin} created`);
      // admin ⇒ write (configured) ⇒ read (the write:X rule).
      const row = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: admin, exact: true }) });
      await row.getByLabel(`${admin} grants ${read}, ${write}`).waitFor();
      const writeRow = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: write, exact: true }) });
      assert.match(await writeRow.textContent(), /Default/);
      if (js) await page.screenshot({ path: join(SHOTS, 'client-scopes.png'), fullPage: true });
    });

    it('Edit changes a description; Delete asks first', async () => {
      const { page } = session;
      await page.getByRole('link', { name: `Edit ${read}` }).click();
      await page.getByRole('heading', { name: `Edit scope ${read}` }).waitFor();
      await page.getByLabel('Description').fill(`Read every report (${mode})`);
      await page.getByRole('button', { name: 'Save' }).click();
      await flash('Scope saved');
      await page.getByRole('cell', { name: `Read every report (${mode})` }).waitFor();
      if (js) await waitHydrated(page);
      await page.getByRole('link', { name: `Delete ${admin}` }).click();
      const dialog = page.getByRole('alertdialog', { name: `Delete scope ${admin}?` });
      await dialog.getByRole('button', { name: 'Delete' }).click();
      await flash(`Scope ${admin} deleted`);
      assert.equal(await page.getByRole('rowheader', { name: admin, exact: true }).count(), 0);
      assert.equal(await page.getByRole('link', { name: 'Delete openid' }).count(), 0, 'built-in scopes stay');
    });

    it("a new client gets the default scope; its Settings tab picks what it may ask for", async () => {
      const { page } = session;
      const client = JSON.parse(
        server.cli(['client', 'create', '--realm', 'default', '--template', 'service', '--client-id', `svc-${mode}`, '--json']),
      );
      assert.equal((await token(client)).body.scope.split(' ').includes(write), true, 'the realm default');
      assert.equal((await token(client, read)).status, 200, `${write} implies ${read}`);
      await page.goto(`${server.baseUrl}/admin/default/console/clients/svc-${mode}/settings`);
      if (js) await waitHydrated(page);
      assert.equal(await page.getByLabel(`${write}: default`).isChecked(), true);
      await page.getByLabel(`${write}: may ask for`).uncheck();
      // No other default (the other run's default scope went to this client too).
      for (const box of await page.locator('input[name="default_scope"]').all()) await box.uncheck();
      await page.getByLabel(`${read}: may ask for`).check();
      await page.getByLabel(`${read}: default`).check();
      await page.getByRole('button', { name: 'Save' }).click();
      await flash('Saved');
      assert.equal((await token(client)).body.scope, read, 'its one default now');
      const refused = await token(client, write);
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error, 'invalid_scope');
      if (js) await page.screenshot({ path: join(SHOTS, 'client-settings-scopes.png'), fullPage: true });
    });

    if (js) {
      it('the browser console shows no errors', () => {
        assert.deepEqual(session.consoleLog.problems(), []);
      });
    }
  });
}
