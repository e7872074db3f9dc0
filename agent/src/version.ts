// The agent's version, as a constant rather than read from package.json at run time: the
// agent is later bundled into a single executable where no package.json sits beside it.
// test/version.test.ts fails when this drifts from package.json.
export const AGENT_VERSION = '0.1.0';
