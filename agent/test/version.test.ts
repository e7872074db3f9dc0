import { readFileSync } from 'node:fs';
import t from 'tap';
import { AGENT_VERSION } from '../src/version.js';

t.test('src/version.ts matches package.json', async (t) => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  t.equal(AGENT_VERSION, pkg.version, 'update src/version.ts when bumping the package version');
});
