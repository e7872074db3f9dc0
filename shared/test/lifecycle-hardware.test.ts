// Hardware age and the replacement forecast. Firmware dates are real BIOS release dates:
// 2020-08-10 from agent/test/fixtures/replay/windows-10-enterprise/system.json (VMware
// VMW71.00V...B64.2008100111), 2018-03-02 from /work/shared/samples/outputs/systeminfo
// ("Hyper-V UEFI Release v3.0, 3/2/2018").
import t from 'tap';
import {
  hardwareAgeYears,
  replacementDue,
  replacementForecast,
  DEFAULT_REPLACEMENT_POLICY,
  type HardwareHost,
} from '../src/index.js';

const NOW = new Date('2026-09-01T12:00:00Z');
const host = (
  id: string,
  role: HardwareHost['role'],
  firmwareDate: string | null,
  purchaseDate: string | null = null,
): HardwareHost => ({
  id,
  role,
  firmwareDate,
  purchaseDate,
});

t.test('age from the purchase date, else the firmware date, else unknown', async (t) => {
  t.equal(
    hardwareAgeYears(host('a', 'workstation', '2020-08-10'), NOW),
    6,
    'firmware 2020-08-10: 6 years',
  );
  t.equal(
    hardwareAgeYears(host('a', 'workstation', '2020-09-02'), NOW),
    5,
    'the day before the anniversary: 5',
  );
  t.equal(
    hardwareAgeYears(host('a', 'workstation', '2018-03-02', '2021-01-15'), NOW),
    5,
    'purchase wins',
  );
  t.equal(
    hardwareAgeYears(host('a', 'workstation', '2018-03-02', 'someday'), NOW),
    8,
    'a bad purchase date falls back to firmware',
  );
  t.equal(hardwareAgeYears(host('a', 'workstation', null), NOW), null, 'no dates: unknown');
  t.equal(
    hardwareAgeYears(host('a', 'workstation', '2026-13-45'), NOW),
    null,
    'an impossible date is not a date',
  );
  t.equal(
    hardwareAgeYears(host('a', 'workstation', '2027-01-01'), NOW),
    0,
    'a future date is age 0',
  );
});

t.test('replacement is due after 5 years for workstations and 7 for servers', async (t) => {
  t.same(DEFAULT_REPLACEMENT_POLICY, { workstationYears: 5, serverYears: 7 });
  t.equal(
    replacementDue(host('w', 'workstation', '2020-08-10'))
      ?.toISOString()
      .slice(0, 10),
    '2025-08-10',
  );
  t.equal(
    replacementDue(host('s', 'server', '2020-08-10'))
      ?.toISOString()
      .slice(0, 10),
    '2027-08-10',
  );
  t.equal(
    replacementDue(host('s', 'server', '2020-08-10'), { workstationYears: 4, serverYears: 4 })
      ?.toISOString()
      .slice(0, 10),
    '2024-08-10',
  );
  t.equal(replacementDue(host('u', 'server', null)), null);
});

t.test('forecast per quarter for the next 8 quarters', async (t) => {
  const forecast = replacementForecast(
    [
      host('old-ws', 'workstation', '2020-08-10'), // due 2025-08-10: overdue
      host('due-now', 'workstation', '2021-09-01'), // due 2026-09-01 00:00, before NOW: overdue
      host('this-q', 'workstation', '2021-09-30'), // due 2026-09-30: 2026-Q3, the current quarter
      host('hv-srv', 'server', '2018-03-02', '2020-01-10'), // purchase: due 2027-01-10, 2027-Q1
      host('srv', 'server', '2020-08-10'), // due 2027-08-10: 2027-Q3
      host('last-q', 'workstation', '2023-06-30'), // due 2028-06-30: 2028-Q2, the 8th quarter
      host('later', 'workstation', '2023-07-01'), // due 2028-07-01: after the forecast
      host('no-date', 'server', null),
    ],
    NOW,
  );
  t.same(forecast.overdue, ['old-ws', 'due-now']);
  t.same(forecast.unknown, ['no-date']);
  t.same(forecast.later, ['later']);
  t.same(
    forecast.quarters.map((q) => q.quarter),
    ['2026-Q3', '2026-Q4', '2027-Q1', '2027-Q2', '2027-Q3', '2027-Q4', '2028-Q1', '2028-Q2'],
  );
  t.same(forecast.quarters[0], { quarter: '2026-Q3', start: '2026-07-01', hostIds: ['this-q'] });
  t.same(
    Object.fromEntries(
      forecast.quarters.filter((q) => q.hostIds.length).map((q) => [q.quarter, q.hostIds]),
    ),
    { '2026-Q3': ['this-q'], '2027-Q1': ['hv-srv'], '2027-Q3': ['srv'], '2028-Q2': ['last-q'] },
  );
});

t.test('a forecast can be shorter and use another policy', async (t) => {
  const forecast = replacementForecast(
    [host('srv', 'server', '2020-08-10')],
    NOW,
    { workstationYears: 5, serverYears: 6 },
    2,
  );
  t.same(
    forecast.quarters.map((q) => q.quarter),
    ['2026-Q3', '2026-Q4'],
  );
  t.same(forecast.overdue, ['srv']);
});
