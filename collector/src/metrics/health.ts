// The collector's own health, with prom-client: counters and histograms fed from the
// event bus and the store's commit hook, database file sizes, and Node's process and
// event-loop metrics.
//
// Process metrics keep prom-client's default names (process_cpu_seconds_total,
// process_resident_memory_bytes, nodejs_eventloop_lag_seconds...), without the vcio_
// prefix: they are the names every exporter uses for its own process, so the Node.js
// and process panels people already have work unchanged. Everything vcio-specific is vcio_.
import { statSync } from 'node:fs';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type {
  AgentEnrolledEvent,
  CollectorEvents,
  ReportRejectedEvent,
  ReportStoredEvent,
} from '../events.js';
import { authFailures, authRateLimited, liveClients } from './registry.js';

const INGEST_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const COMMIT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

/** Rejection reasons are the API's error codes: a fixed set, but cap it all the same. */
const MAX_REASONS = 32;

export class CollectorMetrics {
  readonly registry = new Registry();
  private readonly ingested: Counter;
  private readonly duplicates: Counter;
  private readonly rejected: Counter<'reason'>;
  private readonly ingestSeconds: Histogram;
  private readonly enrollments: Counter;
  private readonly commitSeconds: Histogram;
  private readonly commitReports: Counter;
  private readonly reasons = new Set<string>();
  private databasePath: string | null = null;
  private databaseSize: (() => Promise<number>) | null = null;
  private detachEvents: (() => void) | null = null;

  constructor() {
    const registers = [this.registry];
    this.ingested = new Counter({
      name: 'vcio_reports_ingested_total',
      help: 'Reports stored (answered 202).',
      registers,
    });
    this.duplicates = new Counter({
      name: 'vcio_reports_duplicate_total',
      help: 'Reports received again with an id already stored (answered 202, stored once).',
      registers,
    });
    this.rejected = new Counter({
      name: 'vcio_reports_rejected_total',
      help: 'Reports refused, by the error code of the answer.',
      labelNames: ['reason'],
      registers,
    });
    this.ingestSeconds = new Histogram({
      name: 'vcio_report_ingest_duration_seconds',
      help: 'From receipt of a report to its commit: reading, inflating, validating, storing.',
      buckets: INGEST_BUCKETS,
      registers,
    });
    this.enrollments = new Counter({
      name: 'vcio_enrollments_total',
      help: 'Agents enrolled.',
      registers,
    });
    this.commitSeconds = new Histogram({
      name: 'vcio_database_commit_duration_seconds',
      help: 'Time to write and commit one group of reports to the database.',
      buckets: COMMIT_BUCKETS,
      registers,
    });
    this.commitReports = new Counter({
      name: 'vcio_database_committed_reports_total',
      help: 'Reports written by the commits counted in vcio_database_commit_duration_seconds.',
      registers,
    });
    const databasePath = () => this.databasePath;
    const databaseSize = () => this.databaseSize;
    new Gauge({
      name: 'vcio_database_size_bytes',
      help:
        'Size of the database: SQLite its main file and write-ahead log; PostgreSQL ' +
        'file="database", pg_database_size of the database.',
      labelNames: ['file'],
      registers,
      async collect() {
        const path = databasePath();
        if (path !== null) {
          this.set({ file: 'main' }, fileSize(path));
          this.set({ file: 'wal' }, fileSize(`${path}-wal`));
        }
        const read = databaseSize();
        if (read === null) return;
        try {
          this.set({ file: 'database' }, await read());
        } catch {
          // The database cannot answer now: the gauge is left out of this scrape;
          // the API answers 503 meanwhile, which says why.
          this.reset();
        }
      },
    });
    this.registry.registerMetric(liveClients);
    this.registry.registerMetric(authFailures);
    this.registry.registerMetric(authRateLimited);
    collectDefaultMetrics({ register: this.registry });
  }

  /** The store's commit hook: one call per committed group of reports. */
  readonly observeCommit = (seconds: number, reports: number): void => {
    this.commitSeconds.observe(seconds);
    this.commitReports.inc(reports);
  };

  /** A database without a file to size (PostgreSQL): how to ask it its size. */
  setDatabaseSizeReader(read: (() => Promise<number>) | null): void {
    this.databaseSize = read;
  }

  /** The SQLite file to size (its -wal beside it); none for a store without a file. */
  setDatabasePath(path: string | null): void {
    this.databasePath = path;
  }

  /** Listens to the collector's events until detach() (listeners are O(1) and never throw). */
  attach(events: CollectorEvents): void {
    this.detach();
    const stored = (e: ReportStoredEvent) => {
      this.ingested.inc();
      if (Number.isFinite(e.ingestSeconds) && e.ingestSeconds >= 0) {
        this.ingestSeconds.observe(e.ingestSeconds);
      }
    };
    const duplicate = () => this.duplicates.inc();
    const rejected = (e: ReportRejectedEvent) => {
      let reason = e.reason;
      if (!this.reasons.has(reason)) {
        if (this.reasons.size >= MAX_REASONS) reason = 'other';
        else this.reasons.add(reason);
      }
      this.rejected.inc({ reason });
    };
    const enrolled = (_e: AgentEnrolledEvent) => this.enrollments.inc();
    events.on('report.stored', stored);
    events.on('report.duplicate', duplicate);
    events.on('report.rejected', rejected);
    events.on('agent.enrolled', enrolled);
    this.detachEvents = () => {
      events.off('report.stored', stored);
      events.off('report.duplicate', duplicate);
      events.off('report.rejected', rejected);
      events.off('agent.enrolled', enrolled);
    };
  }

  detach(): void {
    this.detachEvents?.();
    this.detachEvents = null;
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0; // no WAL at this moment (after a truncating checkpoint), or not created yet
  }
}
