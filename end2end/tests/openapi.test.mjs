// The admin API's OpenAPI document, as the binary serves it, checked by a real validator
// (openapi-spec-validator from PyPI, pinned in end2end/compat/requirements.txt) against the
// OpenAPI 3.1 schema. That every route is in it, and every operation in it is served, is
// checked by the integration test `the_openapi_document_describes_every_route`.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { python, startServer } from './harness.mjs';

let server;
let PYTHON;

before(async () => {
  PYTHON = await python();
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

it('the OpenAPI document validates as OpenAPI 3.1', async () => {
  const res = await fetch(`${server.baseUrl}/admin/openapi.json`);
  assert.equal(res.status, 200);
  const doc = await res.json();
  assert.match(doc.openapi, /^3\.1\./);
  const file = join(server.dir, 'openapi.json');
  writeFileSync(file, JSON.stringify(doc));
  const validator = join(PYTHON, '..', 'openapi-spec-validator');
  const out = spawnSync(validator, ['--schema', '3.1', '--errors', 'all', file], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(out.status, 0, `${out.stdout}\n${out.stderr}`);
  assert.match(out.stdout, /OK/);
});
