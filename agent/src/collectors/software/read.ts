// What each platform's software reader returns: entries and the status of each source.
import type { SoftwareItem, SoftwareSourceStatus } from '@vcio/shared';

export interface SoftwareRead {
  items: SoftwareItem[];
  sources: SoftwareSourceStatus[];
}
