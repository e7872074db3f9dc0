// The posture benchmark's arithmetic: per-host figures from a pass, and what they come to
// for a fleet re-assessed at a given cadence.
import type { ServicePass, SplitPass } from './posture-passes.js';

export interface ServiceFigures {
  msPerHost: number;
  hostsPerSecond: number;
  /** CPU per host, ms: above msPerHost when SQLite or GC used a second core */
  cpuMsPerHost: number;
}

export function serviceFigures(pass: ServicePass): ServiceFigures {
  return {
    msPerHost: (pass.wallSeconds * 1000) / pass.hosts,
    hostsPerSecond: pass.hosts / pass.wallSeconds,
    cpuMsPerHost: (pass.cpuSeconds * 1000) / pass.hosts,
  };
}

export interface SplitFigures {
  readMs: number;
  judgeMs: number;
  writeMs: number;
  totalMs: number;
}

/** Mean ms per host of each part. */
export function splitFigures(pass: SplitPass): SplitFigures {
  const per = (ms: number) => ms / pass.hosts;
  return {
    readMs: per(pass.readMs),
    judgeMs: per(pass.judgeMs),
    writeMs: per(pass.writeMs),
    totalMs: per(pass.readMs + pass.judgeMs + pass.writeMs),
  };
}

/**
 * The share of one core (in %) spent keeping `hosts` hosts' posture current when each is
 * re-assessed once every `everySeconds`, at `msPerHost` an assessment.
 */
export function percentOfCore(hosts: number, msPerHost: number, everySeconds: number): number {
  return ((hosts * msPerHost) / (everySeconds * 1000)) * 100;
}

/** The most hosts one core could keep current at that cadence (100% of it, nothing else). */
export function hostsPerCore(msPerHost: number, everySeconds: number): number {
  return (everySeconds * 1000) / msPerHost;
}
