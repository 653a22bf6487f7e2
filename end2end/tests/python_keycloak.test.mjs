// python-keycloak (PyPI, pinned in end2end/compat/requirements.txt) runs a typical admin script
// unchanged against a real Portcullis: see end2end/compat/python_keycloak.py for the steps. The
// virtual environment is made once, in end2end/.venv (harness.mjs python()).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { python, repoRoot, startServer } from './harness.mjs';

const END2END = join(repoRoot(), 'end2end');
const PASSWORD = 'correct horse battery';

function run(cmd, args, options = {}) {
  const out = spawnSync(cmd, args, { encoding: 'utf8', timeout: 300_000, ...options });
  assert.equal(out.status, 0, `${cmd} ${args.join(' ')}:\n${out.stdout}\n${out.stderr}`);
  return out.stdout;
}

let server;
let PYTHON;

before(async () => {
  PYTHON = await python();
  server = await startServer();
  server.cli(['admin', 'create', '--username', 'root', '--password-stdin'], { input: `${PASSWORD}\n` });
});

after(async () => {
  await server?.stop();
});

it('a python-keycloak admin script runs unchanged', () => {
  const out = run(PYTHON, [join(END2END, 'compat', 'python_keycloak.py')], {
    env: { ...process.env, PORTCULLIS_URL: `${server.baseUrl}/`, ADMIN_USER: 'root', ADMIN_PASSWORD: PASSWORD },
  });
  assert.match(out, /\nok\n?$/);
  if (process.env.E2E_VERBOSE) console.log(out);
});
