// PLACEHOLDER: being written. Replace this whole file.
import type { SecuritySection } from '@vcio/shared';
import type { CollectContext } from '../types.js';
import { unknownSecurity } from './unknown.js';

export function collectLinuxSecurity(_ctx: CollectContext): Promise<SecuritySection> {
  return Promise.resolve(unknownSecurity('not read yet'));
}
