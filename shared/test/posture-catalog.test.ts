// The catalog's invariants: ids stable and unique, weights in range, every category and
// platform covered, and every check something a technician can act on.
import t from 'tap';
import { CATEGORIES, CHECK_PLATFORMS, CHECKS, findCheck } from '../src/index.js';

t.test('the catalog holds at least 30 checks with unique kebab-case ids', async (t) => {
  t.ok(CHECKS.length >= 30, `${CHECKS.length} checks`);
  const ids = CHECKS.map((c) => c.id);
  t.equal(new Set(ids).size, ids.length, 'no id twice');
  for (const id of ids) t.match(id, /^[a-z0-9]+(-[a-z0-9]+)*$/, id);
});

t.test('every check is complete: weight 1-10, CIS ids, platforms, remediation', async (t) => {
  for (const c of CHECKS) {
    t.ok(
      Number.isInteger(c.weight) && c.weight >= 1 && c.weight <= 10,
      `${c.id} weight ${c.weight}`,
    );
    t.ok(c.cis.length > 0, `${c.id} names CIS safeguards`);
    for (const id of c.cis)
      t.match(id, /^\d{1,2}\.\d{1,2}$/, `${c.id} CIS ${id} is a v8 safeguard id`);
    t.ok(c.platforms.length > 0, `${c.id} applies somewhere`);
    t.ok(c.remediation.length >= 40, `${c.id} remediation says what to do`);
    t.ok(c.title.length > 0, `${c.id} has a title`);
    t.ok(CATEGORIES.includes(c.category), `${c.id} category ${c.category}`);
  }
});

t.test('every category has checks and every platform at least 20', async (t) => {
  for (const category of CATEGORIES)
    t.ok(
      CHECKS.some((c) => c.category === category),
      category,
    );
  for (const platform of CHECK_PLATFORMS) {
    const n = CHECKS.filter((c) => c.platforms.includes(platform)).length;
    t.ok(n >= 20, `${platform}: ${n} checks`);
  }
});

t.test('findCheck finds by id and answers undefined for an unknown id', async (t) => {
  t.equal(findCheck('firewall-off')?.category, 'protection');
  t.equal(findCheck('no-such-check'), undefined);
});
