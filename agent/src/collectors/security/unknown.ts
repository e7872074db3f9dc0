// A security section in which nothing is known yet, each group with the same reason: the
// starting point every platform reader fills in, and the answer for what it cannot read.
import type { SecuritySection } from '@vcio/shared';

export function unknownSecurity(reason: string): SecuritySection {
  const why = reason.slice(0, 512);
  return {
    firewall: { enabled: null, products: [], reason: why },
    encryption: { volumes: [], reason: why },
    antimalware: { products: [], reason: why },
    automaticUpdates: {
      enabled: null,
      mechanism: null,
      installsAutomatically: null,
      detail: null,
      reason: why,
    },
    listening: { services: [], reason: why },
    ssh: { present: null, permitRootLogin: null, passwordAuthentication: null, reason: why },
    administrators: { groups: [], members: [], reason: why },
    guest: { enabled: null, reason: why },
    secureBoot: { enabled: null, reason: why },
    timeSync: { synchronized: null, service: null, source: null, offsetSeconds: null, reason: why },
  };
}
