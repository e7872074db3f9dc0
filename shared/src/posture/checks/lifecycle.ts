// Lifecycle checks (CIS 2.2, 1.1): an operating system out of (or running out of) vendor
// support, and hardware past the tenant's replacement age. The states come from the
// lifecycle module; this file only judges them. An end-of-life OS is never clean.
import { defineCheck, fail, notApplicable, partial, pass, unknown } from '../evaluation.js';
import type { Check } from '../types.js';

const ALL = ['linux', 'windows', 'darwin'] as const;

const productOf = (p: string | null): string => p ?? 'the operating system';
const until = (eol: string | null): string => (eol ? ` (end of life ${eol})` : '');

export const osEndOfLife = defineCheck(
  {
    id: 'lifecycle-os-end-of-life',
    title: 'Operating system past end of life',
    category: 'lifecycle',
    weight: 10,
    cis: ['2.2'],
    platforms: ALL,
    severity: 'critical',
    remediation:
      'Upgrade to a supported release (Windows: feature update or Windows 11; Ubuntu: do-release-upgrade or Ubuntu Pro ESM; RHEL: leapp; macOS: a supported major version) or replace the machine; until then, isolate it.',
  },
  (input) => {
    const os = input.lifecycle?.os;
    if (!os) return unknown('lifecycle: not evaluated for this host');
    const name = productOf(os.product);
    switch (os.state) {
      case 'end_of_life':
        return fail(`${name} is past end of life${until(os.eol)}`);
      case 'unknown':
        return unknown(`lifecycle: ${name} not matched to a release with known dates`);
      default:
        return pass(`${name} is supported${until(os.eol)}`);
    }
  },
);

export const osEndingSoon = defineCheck(
  {
    id: 'lifecycle-os-ending-soon',
    title: 'Operating system support ending soon',
    category: 'lifecycle',
    weight: 4,
    cis: ['2.2'],
    platforms: ALL,
    severity: 'medium',
    remediation:
      'Plan the upgrade or replacement before the end-of-life date and put it in the client’s roadmap and budget.',
  },
  (input) => {
    const os = input.lifecycle?.os;
    if (!os) return unknown('lifecycle: not evaluated for this host');
    const name = productOf(os.product);
    switch (os.state) {
      case 'ending_soon':
        return partial(0.5, `${name} support ends soon${until(os.eol)}`);
      case 'end_of_life':
        return notApplicable(`${name} already past end of life (see lifecycle-os-end-of-life)`);
      case 'unknown':
        return unknown(`lifecycle: ${name} not matched to a release with known dates`);
      default:
        return pass(`${name} supported beyond the warning window${until(os.eol)}`);
    }
  },
);

export const hardwarePastReplacement = defineCheck(
  {
    id: 'lifecycle-hardware-age',
    title: 'Hardware past replacement age',
    category: 'lifecycle',
    weight: 3,
    cis: ['1.1'],
    platforms: ALL,
    severity: 'low',
    remediation:
      'Put the machine in the replacement forecast and budget; record the purchase date through the API if the firmware date misleads.',
  },
  (input) => {
    if (input.sections.system?.hardware.virtual === true)
      return notApplicable('virtual machine: no hardware of its own');
    const hardware = input.lifecycle?.hardware;
    if (!hardware) return unknown('lifecycle: not evaluated for this host');
    if (hardware.ageYears === null)
      return unknown('lifecycle: no firmware date or purchase date to age the hardware');
    const evidence = `${hardware.ageYears.toFixed(1)} years old, replace after ${hardware.replaceAfterYears}`;
    return hardware.ageYears >= hardware.replaceAfterYears ? fail(evidence) : pass(evidence);
  },
);

export const lifecycleChecks: readonly Check[] = [
  osEndOfLife,
  osEndingSoon,
  hardwarePastReplacement,
];
