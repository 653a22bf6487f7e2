// @keycloak/keycloak-admin-client (npm, pinned in package.json) runs a typical admin script
// unchanged against a real Portcullis: a client with a service account, its secret, its
// lifespan, a role on its service account, notBefore, users with paging, and a service account
// holding manage-clients that may create clients and nothing else.

import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import KcAdminClient from '@keycloak/keycloak-admin-client';
import { startServer } from './harness.mjs';

const PASSWORD = 'correct horse battery';
let server;

before(async () => {
  server = await startServer();
  server.cli(['admin', 'create', '--username', 'root', '--password-stdin'], { input: `${PASSWORD}\n` });
});

after(async () => {
  await server?.stop();
});

async function token(clientId, secret) {
  const res = await fetch(`${server.baseUrl}/realms/default/protocol/openid-connect/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret }),
  });
  return { status: res.status, body: await res.json() };
}

async function introspect(clientId, secret, accessToken) {
  const res = await fetch(`${server.baseUrl}/realms/default/protocol/openid-connect/token/introspect`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: accessToken, client_id: clientId, client_secret: secret }),
  });
  return res.json();
}

const claims = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());

it('a keycloak-admin-client script runs unchanged', async () => {
  try {
    await adminScript();
  } catch (e) {
    // The library's errors name neither the address nor the status: add them.
    if (e.response) e.message = `${e.message} (${e.response.status} from ${e.response.url})`;
    throw e;
  }
});

/** What a team's script does, in the library's own calls. */
async function adminScript() {
  const kc = new KcAdminClient({ baseUrl: server.baseUrl, realmName: 'master' });
  await kc.auth({ grantType: 'password', clientId: 'admin-cli', username: 'root', password: PASSWORD });
  kc.setConfig({ realmName: 'default' });

  // A client with a service account.
  const { id } = await kc.clients.create({
    clientId: 'reports-job',
    publicClient: false,
    serviceAccountsEnabled: true,
    standardFlowEnabled: false,
  });
  const [found] = await kc.clients.find({ clientId: 'reports-job' });
  assert.equal(found.id, id);
  assert.equal(await kc.clients.findOne({ id: 'no-such-id' }), null, 'findOne maps 404 to null');

  // Regenerate and use its secret.
  const { value: secret } = await kc.clients.generateNewClientSecret({ id });
  let t = await token('reports-job', secret);
  assert.equal(t.status, 200);
  assert.equal(t.body.expires_in, 300);

  // Its lifespan.
  await kc.clients.update({ id }, { attributes: { 'access.token.lifespan': '900' } });
  assert.equal((await token('reports-job', secret)).body.expires_in, 900);

  // A role mapped to its service account.
  const { roleName } = await kc.roles.create({ name: 'reporter', description: 'Reads reports' });
  assert.equal(roleName, 'reporter');
  const role = await kc.roles.findOneByName({ name: 'reporter' });
  const sa = await kc.clients.getServiceAccountUser({ id });
  await kc.users.addRealmRoleMappings({ id: sa.id, roles: [{ id: role.id, name: role.name }] });
  t = await token('reports-job', secret);
  assert.ok(claims(t.body.access_token).realm_access.roles.includes('reporter'));

  // notBefore kills the token in hand.
  assert.equal((await introspect('reports-job', secret, t.body.access_token)).active, true);
  await kc.clients.update({ id }, { notBefore: Math.floor(Date.now() / 1000) + 1 });
  assert.equal((await introspect('reports-job', secret, t.body.access_token)).active, false);
  await kc.clients.update({ id }, { notBefore: 0 });

  // Users, with paging.
  for (const n of [0, 1, 2]) {
    await kc.users.create({
      username: `user${n}`,
      email: `user${n}@example.com`,
      enabled: true,
      credentials: [{ type: 'password', value: 'a long password', temporary: false }],
    });
  }
  assert.equal(await kc.users.count(), 3);
  assert.equal((await kc.users.find({ first: 1, max: 2 })).length, 2);
  const [user1] = await kc.users.find({ username: 'user1', exact: true });
  await kc.users.resetPassword({ id: user1.id, credential: { type: 'password', value: 'another long password', temporary: false } });

  // A service account holding manage-clients creates clients and nothing else.
  const [rm] = await kc.clients.find({ clientId: 'realm-management' });
  const manageClients = await kc.clients.findRole({ id: rm.id, roleName: 'manage-clients' });
  await kc.users.addClientRoleMappings({
    id: sa.id,
    clientUniqueId: rm.id,
    roles: [{ id: manageClients.id, name: manageClients.name }],
  });
  const script = new KcAdminClient({ baseUrl: server.baseUrl, realmName: 'default' });
  await script.auth({ grantType: 'client_credentials', clientId: 'reports-job', clientSecret: secret });
  const made = await script.clients.create({ clientId: 'made-by-script' });
  assert.equal((await script.clients.findOne({ id: made.id })).clientId, 'made-by-script');
  await assert.rejects(script.roles.create({ name: 'not-allowed' }), (e) => e.response?.status === 403);

  // Clean up.
  await kc.clients.del({ id: made.id });
  await kc.clients.del({ id });
  assert.deepEqual(await kc.clients.find({ clientId: 'reports-job' }), []);
}

