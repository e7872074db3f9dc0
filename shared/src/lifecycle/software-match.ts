// Key software by name: a small, explicit table from an installed item's name to an
// endoflife.date product, and from its version (or the year in its name) to a cycle.
// Names the table does not know are not reported: the inventory is large and most of it
// has no published lifecycle.
import type { SoftwareItem } from '../report/software.js';
import type { ReleaseMatch } from './os-match.js';

type CycleRule = (item: Pick<SoftwareItem, 'name' | 'version'>) => string | null;

/** The first `count` numeric parts of the version, joined with dots ("3.11.4" -> "3.11"). */
const versionParts =
  (count: number): CycleRule =>
  ({ version }) => {
    const parts = version?.match(/^\d+(?:\.\d+)*/)?.[0].split('.');
    return parts === undefined || parts.length < count ? null : parts.slice(0, count).join('.');
  };

/** A release year in the name ("Microsoft Exchange Server 2019"). */
const yearInName: CycleRule = ({ name }) => name.match(/\b(20\d\d)\b/)?.[1] ?? null;

/** Office: the year, with "-ltsc" for the LTSC editions. */
const officeCycle: CycleRule = (item) => {
  const year = yearInName(item);
  if (year === null) return null;
  return /ltsc/i.test(item.name) ? `${year}-ltsc` : year;
};

/** Java reports 8 as "1.8.0_381": the feature release is the second part there. */
const javaCycle: CycleRule = ({ version }) => {
  const parts = version?.match(/^(\d+)(?:\.(\d+))?/);
  if (!parts) return null;
  return parts[1] === '1' && parts[2] !== undefined ? parts[2] : parts[1]!;
};

/** PostgreSQL: the major from 10 on, major.minor before ("9.6"). */
const postgresCycle: CycleRule = (item) => {
  const major = versionParts(1)(item);
  return major !== null && Number(major) < 10 ? versionParts(2)(item) : major;
};

/** [name pattern, product, cycle rule]; first match wins, so specific patterns come first. */
export const SOFTWARE_RULES: [RegExp, string, CycleRule][] = [
  [
    /^Microsoft Office (?:LTSC )?(?:Standard|Professional|Home|Small Business)\b/i,
    'office',
    officeCycle,
  ],
  [/^Microsoft SQL Server 20\d\d(?: \(64-bit\))?$/i, 'mssqlserver', versionParts(2)],
  [/^Microsoft Exchange Server 20\d\d\b/i, 'msexchange', yearInName],
  [/^Node\.js$|^nodejs$/i, 'nodejs', versionParts(1)],
  [/^Python \d+\.\d+|^python3(?:\.\d+)?$/i, 'python', versionParts(2)],
  [/^Eclipse Temurin (?:JDK|JRE)\b|^temurin-\d+-(?:jdk|jre)$/i, 'eclipse-temurin', javaCycle],
  [/^Java(?:\(TM\))? (?:SE Development Kit|\d+ Update)\b|^jdk-\d+$/i, 'oracle-jdk', javaCycle],
  [/^php(?:\d+\.\d+)?$|^php\d+\.\d+-(?:cli|fpm)$/i, 'php', versionParts(2)],
  [/^PostgreSQL \d+|^postgresql(?:-\d+)?$|^postgresql\d*-server$/i, 'postgresql', postgresCycle],
  [
    /^MySQL Server \d+\.\d+$|^mysql-server(?:-\d+\.\d+)?$|^mysql-community-server$/i,
    'mysql',
    versionParts(2),
  ],
  [/^Google Chrome$|^google-chrome-stable$/i, 'chrome', versionParts(1)],
  [/^Mozilla Firefox\b(?!.*\bESR\b)|^firefox$/i, 'firefox', versionParts(1)],
];

/** The product and cycle of one installed item, or null when it is not key software. */
export function matchSoftware(item: Pick<SoftwareItem, 'name' | 'version'>): ReleaseMatch | null {
  const rule = SOFTWARE_RULES.find(([pattern]) => pattern.test(item.name));
  if (rule === undefined) return null;
  const cycle = rule[2](item);
  return cycle === null ? null : { product: rule[1], cycle };
}
