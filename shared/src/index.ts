export * from './report/formats.js';
export * from './report/common.js';
export * from './report/system.js';
export * from './report/performance.js';
export * from './report/patches.js';
export * from './report/report.js';
export * from './report/report-id.js';
export * from './wire.js';
