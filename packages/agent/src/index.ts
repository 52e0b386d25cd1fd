/** @flotilla/agent: the program that runs on a device. */
export { PROTOCOL_VERSION } from '@flotilla/sdk';
export { AgentError, agentError, agentErrorCatalogue, type AgentErrorCode } from './errors.js';
export { createReconciler, type AppStatus, type Reconciler, type ReconcilerOptions } from './reconcile/reconciler.js';
export { DEFAULT_SUPERVISION, type SupervisionOptions } from './reconcile/app-supervisor.js';
export { CommandFailure, createCommandExecutor, type CommandExecutor, type CommandExecutorOptions, type CommandHandler } from './commands/executor.js';
export { agentMain, type AgentMainIo } from './cli/main.js';
export { runAgent, type RunAgentOptions } from './agent.js';
export { agentSettings, loadAgentConfig, type AgentConfig } from './config/config.js';
