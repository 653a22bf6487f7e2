// The console's Users pages in Chromium with JavaScript on and off: Users → Create (Username,
// Email, names, Password) → Save; a user locked by failed sign-ins shows the lock on Details
// and is unlocked there, after which sign-in works; Credentials → Reset password with
// Temporary, and the next sign-in asks for a new password (New password, Confirm password,
// Save) before going on; Role Mapping, Sessions and Consents; Delete, confirmed. Every page is
// saved as a screenshot under test-results/screenshots/.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createHash, randomBytes } from 'node:crypto';
import {
  CONSOLE_ADMIN,
  CONSOLE_PASSWORD,
  consoleSession,
  launchBrowser,
  repoRoot,
  startCallbackServer,
  startServer,
  waitHydrated,
  waitCurrent,
} from './harness.mjs';

const [ADMIN, PASSWORD] = [CONSOLE_ADMIN, CONSOLE_PASSWORD];
const SHOTS = join(repoRoot(), 'end2end', 'test-results', 'screenshots');

let server;
let browser;
let callback;

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  callback = await startCallbackServer();
  server = await startServer();
  server.cli(['admin', 'create', '--username', ADMIN, '--password-stdin'], { input: `${PASSWORD}\n` });
  server.cli(['role', 'create', '--realm', 'default', 'reporter', '--description', 'Reads reports']);
  server.cli([
    'client', 'create', '--realm', 'default', '--template', 'spa', '--client-id', 'reports-spa', '--name', 'Reports',
    '--redirect-uri', callback.url('/cb'),
  ]);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close().catch(() => {});
  await server?.stop();
  await callback?.close();
});

/** The authorization request of the reports-spa client (PKCE), which asks for consent. */
function authorizeUrl() {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const q = new URLSearchParams({
    response_type: 'code', client_id: 'reports-spa', redirect_uri: callback.url('/cb'), scope: 'openid',
    code_challenge: challenge, code_challenge_method: 'S256',
  });
  return `${server.baseUrl}/realms/default/protocol/openid-connect/auth?${q}`;
}

async function shot(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

async function flash(page, text) {
  await page.locator('#flash').filter({ hasText: text }).waitFor();
}

/** A fresh end-user browser (JavaScript on or off) at the realm's sign-in page. */
async function endUser(js) {
  const context = await browser.newContext({ javaScriptEnabled: js, viewport: { width: 1000, height: 800 } });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  await page.goto(`${server.baseUrl}/realms/default/login`);
  return { context, page };
}

/** Submits the sign-in form and returns the page's alert text ('' when there is none). */
async function trySignIn(page, username, password) {
  await page.getByLabel('Username or email').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Sign in' }).click()]);
  const alert = page.getByRole('alert');
  return (await alert.count()) ? (await alert.first().textContent()).trim() : '';
}

for (const js of [true, false]) {
  const mode = js ? 'on' : 'off';
  const username = `alice-${mode}`;
  const first = `first password ${mode}`;
  const temporary = `temporary one ${mode}`;
  const chosen = `chosen by alice ${mode}`;

  describe(`the Users pages, JavaScript ${mode}`, () => {
    const session = consoleSession(() => ({ browser, baseUrl: server.baseUrl }), js, { timeout: 20_000 });
    let page;
    let consoleLog;
    let userPath;

    before(() => {
      ({ page, consoleLog } = session);
    });

    async function settle() {
      if (js) await waitHydrated(page);
    }

    async function openTab(name) {
      await page.getByRole('navigation', { name: 'User' }).getByRole('link', { name, exact: true }).click();
      await page.waitForURL(new RegExp(`/${name.toLowerCase().replace(' ', '-')}`));
      await settle();
    }

    it('Users → Create → Username, Email, names, Password → Save', async () => {
      const sidebar = page.getByRole('navigation', { name: 'Console' });
      await sidebar.getByRole('link', { name: 'Users', exact: true }).click();
      await page.getByRole('heading', { name: 'Users' }).waitFor();
      await waitCurrent(sidebar.getByRole('link', { name: 'Users', exact: true }));
      await page.getByRole('link', { name: 'Create', exact: true }).click();
      await page.getByLabel('Username').waitFor();
      await settle();
      // A bad username is refused beside its field; what was typed stays.
      await page.getByLabel('Username').fill('has space');
      await page.getByLabel('Email').fill(`${username}@example.com`);
      await page.getByRole('button', { name: 'Save' }).click();
      await flash(page, 'invalid username');
      assert.equal(await page.getByLabel('Username').getAttribute('aria-invalid'), 'true');
      assert.equal(await page.getByLabel('Email').inputValue(), `${username}@example.com`);
      if (js) await shot(page, 'user-create-error');
      await page.getByLabel('Username').fill(username);
      await page.getByLabel('First name').fill('Alice');
      await page.getByLabel('Last name').fill(`Liddell ${mode}`);
      assert.equal(await page.getByLabel('Enabled').isChecked(), true);
      await page.getByLabel('Password', { exact: true }).fill(first);
      if (js) await shot(page, 'user-create');
      await page.getByRole('button', { name: 'Save' }).click();
      await flash(page, `User ${username} created.`);
      const tab = page.getByRole('navigation', { name: 'User' }).getByRole('link', { name: 'Details' });
      await waitCurrent(tab);
      userPath = new URL(page.url()).pathname.replace(/\/details$/, '');
      if (js) await shot(page, 'user-details');
      // The list: searched on the server, Edit and Delete named after the user.
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Users', exact: true }).click();
      await page.getByRole('searchbox', { name: 'Search users' }).fill(`liddell ${mode}`);
      await page.getByRole('button', { name: 'Search' }).click();
      await page.locator('#page-range', { hasText: '1–1 of 1' }).waitFor();
      await page.getByRole('link', { name: `Delete ${username}` }).waitFor();
      if (js) await shot(page, 'users-list');
    });

    it('failed sign-ins lock the user; Details shows it; Unlock; sign-in works', async () => {
      const user = await endUser(js);
      let message = '';
      for (let i = 0; i < 30 && !message.startsWith('Too many failed attempts'); i++) {
        message = await trySignIn(user.page, username, 'wrong password');
        const wait = message.match(/Please wait (\d+) second/);
        if (wait) await sleep(Number(wait[1]) * 1000 + 200);
      }
      assert.match(message, /^Too many failed attempts/);
      // The right password is refused while locked.
      assert.match(await trySignIn(user.page, username, first), /Too many failed attempts/);
      await page.goto(`${server.baseUrl}${userPath}/details`);
      await page.locator('#lock-state', { hasText: 'Locked until' }).waitFor();
      await settle();
      assert.notEqual(await page.locator('#locked-until').textContent(), 'not locked');
      if (js) await shot(page, 'user-locked');
      await page.getByRole('button', { name: 'Unlock' }).click();
      await flash(page, 'Unlocked');
      await page.locator('#lock-state', { hasText: 'Not locked' }).waitFor();
      assert.equal(await trySignIn(user.page, username, first), '');
      await user.page.getByText(`You are signed in as ${username}`).waitFor();
      await user.context.close();
    });

    it('Credentials → Reset password, Temporary: the next sign-in asks for a new one', async () => {
      await openTab('Credentials');
      assert.equal(await page.getByLabel('Temporary').isChecked(), true, 'ticked by default');
      await page.getByLabel('Password', { exact: true }).fill(temporary);
      await page.getByLabel('Password confirmation').fill('something else');
      await page.getByRole('button', { name: 'Reset password' }).click();
      await flash(page, 'differ');
      assert.equal(await page.getByLabel('Password', { exact: true }).getAttribute('aria-invalid'), 'true');
      await page.getByLabel('Password', { exact: true }).fill(temporary);
      await page.getByLabel('Password confirmation').fill(temporary);
      if (js) await shot(page, 'user-credentials');
      await page.getByRole('button', { name: 'Reset password' }).click();
      await flash(page, 'Password reset. It is temporary');
      await page.locator('#password-state', { hasText: 'is temporary' }).waitFor();

      const user = await endUser(js);
      assert.equal(await trySignIn(user.page, username, temporary), '');
      await user.page.getByRole('heading', { name: 'Update password' }).waitFor();
      // Errors beside the field: the two differ, then too short.
      await user.page.getByLabel('New password').fill(chosen);
      await user.page.getByLabel('Confirm password').fill('not the same');
      await Promise.all([user.page.waitForNavigation(), user.page.getByRole('button', { name: 'Save' }).click()]);
      await user.page.locator('#password_confirm-error', { hasText: 'The two passwords differ.' }).waitFor();
      assert.equal(await user.page.getByLabel('Confirm password').getAttribute('aria-invalid'), 'true');
      await user.page.getByLabel('New password').fill('short');
      await user.page.getByLabel('Confirm password').fill('short');
      await Promise.all([user.page.waitForNavigation(), user.page.getByRole('button', { name: 'Save' }).click()]);
      await user.page.locator('#password_new-error', { hasText: 'at least 8 characters' }).waitFor();
      if (js) await shot(user.page, 'update-password-error');
      await user.page.getByLabel('New password').fill(chosen);
      await user.page.getByLabel('Confirm password').fill(chosen);
      await Promise.all([user.page.waitForNavigation(), user.page.getByRole('button', { name: 'Save' }).click()]);
      await user.page.getByText(`You are signed in as ${username}`).waitFor();
      await user.context.close();
      // The chosen password works; the temporary one no longer does.
      const again = await endUser(js);
      assert.equal(await trySignIn(again.page, username, temporary), 'Invalid username or password.');
      await sleep(1200);
      // Through an application's request this time: consent is asked, then remembered.
      await again.page.goto(authorizeUrl());
      assert.equal(await trySignIn(again.page, username, chosen), '');
      await Promise.all([again.page.waitForURL(/\/cb\?/), again.page.getByRole('button', { name: 'Allow' }).click()]);
      await again.context.close();
      await page.reload();
      await page.locator('#password-state', { hasText: 'replaces the current one' }).waitFor();
    });

    it('Role Mapping, Sessions and Consents tabs', async () => {
      await openTab('Role Mapping');
      await page.getByLabel('Available').selectOption('reporter');
      await page.getByRole('button', { name: 'Add selected' }).click();
      await flash(page, '1 role added.');
      assert.deepEqual(await page.getByLabel('Assigned').locator('option').allTextContents(), ['reporter — Reads reports']);
      if (js) await shot(page, 'user-role-mapping');
      await openTab('Sessions');
      const rows = page.locator('#user-sessions tbody tr');
      await rows.nth(1).waitFor();
      assert.ok((await rows.count()) >= 2, 'the sign-ins above are open sessions');
      if (js) await shot(page, 'user-sessions');
      await rows.first().getByRole('button', { name: /^Revoke session started/ }).click();
      await flash(page, 'Session ended');
      await page.getByRole('button', { name: 'Sign out all sessions' }).click();
      await flash(page, 'Signed out');
      await page.getByText('No open sessions.').waitFor();
      await openTab('Consents');
      const revoke = page.getByRole('button', { name: 'Revoke reports-spa' });
      await revoke.waitFor();
      if (js) await shot(page, 'user-consents');
      await revoke.click();
      await flash(page, 'Consent for reports-spa revoked');
      await page.getByText('No remembered consents.').waitFor();
    });

    it('Delete, confirmed in a dialog that names the user', async () => {
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Users', exact: true }).click();
      await page.getByRole('link', { name: `Delete ${username}` }).click();
      const dialog = page.getByRole('alertdialog', { name: `Delete user ${username}?` });
      await dialog.waitFor();
      if (js) await shot(page, 'user-delete');
      await dialog.getByRole('button', { name: 'Delete' }).click();
      await flash(page, `User ${username} deleted`);
      assert.equal(await page.getByRole('link', { name: `Delete ${username}` }).count(), 0);
      if (js) assert.deepEqual(consoleLog.problems(), []);
    });
  });
}
