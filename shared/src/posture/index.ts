// Posture: the check catalog, its evaluation over a host's latest sections, and the score.
export * from './types.js';
export { CHECKS, findCheck } from './catalog.js';
export { NAMED_RISKS } from './checks/exposure.js';
export * from './score.js';
