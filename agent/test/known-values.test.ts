import t from 'tap';
import {
  knownBytes,
  knownDate,
  knownMac,
  knownPositive,
  knownText,
  PLACEHOLDER_TEXTS,
} from '../src/collectors/known-values.js';

t.test('placeholders firmware and VMs put in unknown fields become null', async (t) => {
  const seen = [
    '',
    '   ',
    '-',
    '0',
    'None',
    'Default string',
    'To Be Filled By O.E.M.',
    'To be filled by O.E.M.',
    'System Serial Number',
    'System Product Name',
    'System manufacturer',
    'Not Specified',
    'Not Applicable',
    'N/A',
    'Unknown',
    'O.E.M.',
    '0123456789',
    '00000000',
    '00000000-0000-0000-0000-000000000000',
    'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
    'XXXXXXXX',
    '00:00:00:00:00:00',
    'Default string\0\0',
  ];
  for (const value of seen) t.equal(knownText(value), null, JSON.stringify(value));
  for (const value of PLACEHOLDER_TEXTS) t.equal(knownText(value.toUpperCase()), null, value);
});

t.test('real values pass, trimmed', async (t) => {
  t.equal(knownText('  Dell Inc.  '), 'Dell Inc.');
  t.equal(knownText('Docker Container'), 'Docker Container');
  t.equal(knownText('C02XK1ABJG5J'), 'C02XK1ABJG5J');
  t.equal(knownText('10'), '10', 'a digit string other than 0 is a value');
  t.equal(knownText('0x1F'), '0x1F');
});

t.test('non-strings are unknown', async (t) => {
  t.equal(knownText(undefined), null);
  t.equal(knownText(null), null);
  t.equal(knownText(42), null);
});

t.test('long values are cut to the field bound', async (t) => {
  t.equal(knownText('a'.repeat(600))?.length, 512);
  t.equal(knownText('abcdef', 3), 'abc');
});

t.test('MAC addresses: lower case, all-zero is unknown', async (t) => {
  t.equal(knownMac('02:FC:00:00:00:01'), '02:fc:00:00:00:01');
  t.equal(knownMac('00:00:00:00:00:00'), null);
  t.equal(knownMac(''), null);
});

t.test('positive numbers and byte counts', async (t) => {
  t.equal(knownPositive(2.4), 2.4);
  t.equal(knownPositive(0), null, 'a CPU speed of 0 is unknown');
  t.equal(knownPositive(-1), null, 'a link speed of -1 is unknown');
  t.equal(knownPositive(Number.NaN), null);
  t.equal(knownPositive('3'), null);
  t.equal(knownBytes(1024.4), 1024);
  t.equal(knownBytes(0), 0, 'zero bytes is a fact');
  t.equal(knownBytes(-5), null);
  t.equal(knownBytes(Number.POSITIVE_INFINITY), null);
});

t.test('firmware dates in the formats OSes report them', async (t) => {
  t.equal(knownDate('2019-05-13'), '2019-05-13', 'systeminformation on Linux');
  t.equal(knownDate('2019-5-3'), '2019-05-03');
  t.equal(knownDate('05/13/2019'), '2019-05-13', 'DMI');
  t.equal(knownDate('20150520000000.000000+000'), '2015-05-20', 'WMI');
  t.equal(knownDate('20150520'), '2015-05-20');
  t.equal(knownDate('2019-02-30'), null, 'no such day');
  t.equal(knownDate('13/45/2019'), null);
  t.equal(knownDate('01/01/1970'), null, 'an unset RTC, not a release date');
  t.equal(knownDate(''), null);
  t.equal(knownDate('Not Specified'), null);
  t.equal(knownDate('sometime in 2019'), null);
});
