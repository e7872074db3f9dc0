// The `performance` section: how the machine is doing. Collected every minute.
import { Type, type Static } from '@sinclair/typebox';
import { Bytes, List, NonNegative, Ratio, Text, Unknown } from './common.js';

export const PerformanceSection = Type.Object({
  /** seconds the rates and the CPU utilisation were measured over */
  intervalSeconds: Type.Number({ exclusiveMinimum: 0, maximum: 86_400 }),
  cpu: Type.Object({
    /** share of all cores busy over the interval, 0–1 */
    utilisation: Unknown(Ratio),
  }),
  /** 1/5/15-minute load averages; null where the OS has none (Windows) */
  load: Unknown(Type.Object({ one: NonNegative, five: NonNegative, fifteen: NonNegative })),
  memory: Type.Object({
    totalBytes: Bytes,
    /** total minus available: what programs hold, not counting reclaimable cache */
    usedBytes: Bytes,
    availableBytes: Bytes,
  }),
  swap: Unknown(Type.Object({ totalBytes: Bytes, usedBytes: Bytes })),
  filesystems: List(
    Type.Object({
      mount: Text(),
      sizeBytes: Bytes,
      usedBytes: Bytes,
      freeBytes: Bytes,
    }),
  ),
  network: List(
    Type.Object({
      name: Text(256),
      rxBytesPerSecond: Unknown(NonNegative),
      txBytesPerSecond: Unknown(NonNegative),
    }),
  ),
  processes: Type.Object({ total: Unknown(Type.Integer({ minimum: 0 })) }),
});
export type PerformanceSection = Static<typeof PerformanceSection>;
