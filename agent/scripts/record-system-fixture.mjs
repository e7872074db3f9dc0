#!/usr/bin/env node
// Records what the system collector reads on this machine, for toSystemSection's tests.
//   pnpm run build && node agent/scripts/record-system-fixture.mjs NAME
// writes agent/test/fixtures/systeminformation/NAME.json. Run it on the machine the
// fixture is named after (e.g. windows-11-laptop) and review it for anything private
// (serial numbers, addresses) before committing it.
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { readSystemInfo } from '../dist/collectors/system.js';
import { silentLogger } from '../dist/log.js';

const name = process.argv[2];
if (!name || !/^[a-z0-9-]+$/.test(name)) {
  console.error('usage: record-system-fixture.mjs NAME (lower-case letters, digits, dashes)');
  process.exit(2);
}
const raw = await readSystemInfo(silentLogger());
const target = fileURLToPath(
  new URL(`../test/fixtures/systeminformation/${name}.json`, import.meta.url),
);
await writeFile(target, `${JSON.stringify(raw, null, 2)}\n`);
console.error(`wrote ${target}`);
