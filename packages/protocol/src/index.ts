/** The contract shared by Flotilla's server, agent, SDK, CLI and dashboard. No I/O lives here. */
export * from './selector.js';
export * from './roles.js';
export * from './api.js';
export * from './topics.js';
export * from './telemetry.js';
export * from './telemetry-api.js';
export * from './state-api.js';
export * from './live.js';
export * from './state.js';
export * from './commands.js';
export * from './commands-api.js';
export * from './events.js';
export * from './inventory.js';
