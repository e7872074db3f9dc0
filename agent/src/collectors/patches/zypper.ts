// zypper (SUSE Linux Enterprise, openSUSE): pure parser for `zypper list-patches` (`lp`).
// The --xmlout form would be sturdier, but no real capture of `list-patches --xmlout` was
// available to test against, so the table is parsed (columns found by their header names).
import type { PendingUpdate } from '@vcio/shared';
import { normaliseSeverity, pendingUpdate } from './linux-common.js';

const cells = (line: string): string[] => line.split('|').map((c) => c.trim());

/**
 * One PendingUpdate per patch whose Status is "needed", from every table in the output
 * ("Needed software management updates will be installed first:" and "The following
 * updates are also available:"). Optional patches are left out, like zypper's own count
 * ("7 patches needed"); so are "applied" / "not needed" rows of `zypper patches`.
 */
export function parseZypperListPatches(text: string): PendingUpdate[] {
  const result: PendingUpdate[] = [];
  let columns: string[] | null = null;
  for (const line of text.split(/\r?\n/)) {
    if (/^-[-+]*$/.test(line.trim())) continue; // the header's underline
    if (!line.includes('|')) {
      columns = null; // a blank or text line ends a table
      continue;
    }
    const row = cells(line);
    if (row.includes('Name') && row.includes('Category') && row.includes('Status')) {
      columns = row.map((c) => c.toLowerCase());
      continue;
    }
    if (columns === null) continue;
    const header = columns;
    const get = (column: string): string => row[header.indexOf(column)] ?? '';
    const name = get('name');
    if (name === '' || get('status').toLowerCase() !== 'needed') continue;
    const category = get('category');
    const interactive = get('interactive').toLowerCase();
    result.push(
      pendingUpdate({
        name,
        security: category.toLowerCase() === 'security',
        severity: normaliseSeverity(get('severity')),
        classification: category,
        advisories: [name],
        restartRequired: interactive === '' ? null : interactive.includes('reboot'),
      }),
    );
  }
  return result;
}
