/** The server's public surface: configuration, start-up, and the app for tests. */
export { buildApp, type AppDependencies } from './app.js';
export { ConfigError, parseConfig, parseDuration, settings, type Config, type ConfigSources, type SettingDefinition } from './config.js';
export { errorCatalogue, type ErrorCode } from './errors.js';
export { createLogger } from './log.js';
export { ListenError, runServer, startServer, type RunningServer } from './main.js';
export { StoreOpenError, openStore, type Store } from './store/database.js';
