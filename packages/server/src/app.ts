/**
 * The composition root: builds the HTTP app with every part wired in order. Tests call
 * `buildApp()` and use `app.inject()`; `runServer()` in main.ts adds listening and signals.
 */
import { readFileSync } from 'node:fs';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { createAuditRepository } from './audit/audit.repository.js';
import { auditRoutes } from './audit/audit.routes.js';
import { createAuditService } from './audit/audit.service.js';
import { authRoutes } from './auth/auth.routes.js';
import { createAuthService } from './auth/auth.service.js';
import { createBroker, type Broker } from './broker/broker.js';
import { connectionRoutes, deviceConnectionOf, MQTT_WEBSOCKET_PATH } from './broker/connection.routes.js';
import { createMqttWebSocketHandler } from './broker/mqtt-websocket.js';
import { createPresence } from './broker/presence.js';
import { createPresenceRepository } from './broker/presence.repository.js';
import { createMemoryBus, type Bus } from './bus/bus.js';
import { claimsRoutes } from './claims/claims.routes.js';
import { createCommandDelivery } from './commands/command-delivery.js';
import { createCommandMetrics } from './commands/command-metrics.js';
import { createCommandSweeper } from './commands/command-sweeper.js';
import { commandsRoutes } from './commands/commands.routes.js';
import { createCommandsService } from './commands/commands.service.js';
import { createClaimsService } from './claims/claims.service.js';
import type { Config } from './config.js';
import { devicesRoutes } from './devices/devices.routes.js';
import { createDevicesService } from './devices/devices.service.js';
import { enrollmentRoutes } from './enrollment/enrollment.routes.js';
import { createEnrollmentService } from './enrollment/enrollment.service.js';
import { createEventMetrics } from './events/event-metrics.js';
import { deviceEventsPruner } from './events/events.repository.js';
import { eventsRoutes } from './events/events.routes.js';
import { createEventsService } from './events/events.service.js';
import { installAccessControl } from './http/access.js';
import { installErrorHandler, installNotFoundHandler } from './http/problem.js';
import { installDashboard } from './http/static.js';
import { installUpgradeRouter, type UpgradeHandler } from './http/upgrade.js';
import { createLiveRepository } from './live/live.repository.js';
import { installRoutes } from './install/install.routes.js';
import { liveRoutes } from './live/live.routes.js';
import { createLiveService } from './live/live.service.js';
import { installValidation } from './http/validation.js';
import { createDesiredState } from './state/desired.js';
import { profilesRoutes } from './state/profiles.routes.js';
import { createProfilesService } from './state/profiles.service.js';
import { loadSecretKey } from './state/secret-key.js';
import { createSecretBox } from './state/secrets.js';
import { createSettingsSchemas } from './state/settings-schema.js';
import { createStateDelivery } from './state/state-delivery.js';
import { createStateHistory } from './state/state-history.js';
import { createStateMetrics } from './state/state-metrics.js';
import { stateRoutes } from './state/state.routes.js';
import { createStateService } from './state/state.service.js';
import type { Logger } from './log.js';
import { createMetrics } from './ops/metrics.js';
import { opsRoutes } from './ops/ops.routes.js';
import type { Store } from './store/database.js';
import { createBatchWriter } from './telemetry/batch-writer.js';
import { createIngest, type Ingest } from './telemetry/ingest.js';
import { createIngestMetrics } from './telemetry/ingest-metrics.js';
import { createLatestCache } from './telemetry/latest-cache.js';
import { createRetention } from './telemetry/retention.js';
import { createTelemetryRepository } from './telemetry/telemetry.repository.js';
import { telemetryRoutes } from './telemetry/telemetry.routes.js';
import { createTelemetryService } from './telemetry/telemetry.service.js';
import { createTokensRepository } from './tokens/tokens.repository.js';
import { tokensRoutes } from './tokens/tokens.routes.js';
import { createTokensService } from './tokens/tokens.service.js';
import { usersRoutes } from './users/users.routes.js';
import { createUsersService } from './users/users.service.js';

/** What the app is built from. */
export interface AppDependencies {
  config: Readonly<Config>;
  log: Logger;
  store: Store;
  /** The event bus; an in-process one unless given (tests pass theirs to listen). */
  bus?: Bus;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The embedded MQTT broker; main.ts starts its TCP listener. */
    broker: Broker;
  }
}

const API_PREFIX = '/api/v1';

/**
 * While closing, answers carry `connection: close`, so keep-alive clients let go once their
 * in-flight request is done and the server can finish closing without cutting anyone off.
 */
function installGracefulClose(app: FastifyInstance): void {
  let isClosing = false;
  app.addHook('preClose', async () => {
    isClosing = true;
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    if (isClosing) reply.header('connection', 'close');
    return payload;
  });
}

/** Builds the app around an open, migrated store. Closing the app closes the store. */
export async function buildApp({ config, log, store, bus = createMemoryBus((error, name) => log.error({ err: error, event: name }, 'bus listener failed')) }: AppDependencies): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: log.child({ feature: 'http' }) as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    ...(config.tlsCertFile && config.tlsKeyFile
      ? { https: { cert: readFileSync(config.tlsCertFile), key: readFileSync(config.tlsKeyFile) } }
      : {}),
  }).withTypeProvider<TypeBoxTypeProvider>();

  const db = store.db;
  const stateLog = log.child({ feature: 'state' });
  // First, before anything starts: a wrong key stops start-up with nothing to clean up.
  const box = createSecretBox(await loadSecretKey({ config, db, log: stateLog }));
  const metrics = createMetrics();
  const audit = createAuditService({ repository: createAuditRepository(db), log: log.child({ feature: 'audit' }) });
  const auth = createAuthService({ db, config, log: log.child({ feature: 'auth' }) });
  await auth.start();
  const users = createUsersService({ db, endSessions: (userId) => auth.endSessions(userId), log: log.child({ feature: 'users' }) });
  const tokens = createTokensService({ repository: createTokensRepository(db), log: log.child({ feature: 'tokens' }) });
  const devices = createDevicesService({ db, log: log.child({ feature: 'devices' }), bus });
  const enrollment = createEnrollmentService({ db, log: log.child({ feature: 'enrollment' }), bus });
  const claims = createClaimsService({ db, log: log.child({ feature: 'claims' }), bus });
  const ingestMetrics = createIngestMetrics(metrics.registry, () => ingest.pendingPoints());
  const ingestLog = log.child({ feature: 'ingest' });
  const latestCache = store.sqlite ? createLatestCache(store.sqlite) : undefined;
  const ingest: Ingest = createIngest({ writer: createBatchWriter(store, ingestLog, latestCache), bus, log: ingestLog, metrics: ingestMetrics });
  // Devices can send once the server listens; tests that only inject() never start the writer.
  app.addHook('onListen', async () => ingest.start());
  const telemetry = createTelemetryService({
    repository: createTelemetryRepository(db),
    ingest,
    bus,
    log: log.child({ feature: 'telemetry' }),
    metrics: ingestMetrics,
    latestCache,
  });
  const retention = createRetention({ store, log: log.child({ feature: 'retention' }), onDeviceForgotten: (ref) => latestCache?.forget(ref), pruners: [deviceEventsPruner] });
  retention.start();
  const brokerLog = log.child({ feature: 'broker' });
  const broker = createBroker({
    maxPayloadBytes: config.mqttMaxPayloadBytes,
    connectRatePerSecond: config.mqttConnectRatePerSecond,
    authenticateDevice: (id, secret) => devices.authenticateDevice(id, secret),
    ingest,
    rejectTelemetry: (device, reason, transport) => telemetry.recordRejection(device, reason, transport),
    presence: createPresence({ repository: createPresenceRepository(store), bus, log: brokerLog }),
    bus,
    registry: metrics.registry,
    log: brokerLog,
  });
  await broker.start();
  app.decorate('broker', broker);
  const stateHistory = config.stateGit ? createStateHistory({ dataDir: config.dataDir, log: stateLog }) : null;
  const stateDelivery = createStateDelivery({ broker, bus, log: stateLog, messageFor: (deviceId) => desired.messageFor(deviceId) });
  const desired = createDesiredState({ db, box, bus, log: stateLog, delivery: stateDelivery });
  const settingsSchemas = createSettingsSchemas();
  const stateMetrics = createStateMetrics(metrics.registry);
  const state = createStateService({ db, box, schemas: settingsSchemas, desired, history: stateHistory, bus, log: stateLog, onRejected: stateMetrics.rejected });
  const profiles = createProfilesService({ db, box, schemas: settingsSchemas, desired, history: stateHistory, log: stateLog });
  const events = createEventsService({ db, bus, log: log.child({ feature: 'events' }), metrics: createEventMetrics(metrics.registry) });
  events.start();
  broker.setHandler('events', (publish) => events.acceptMqttMessage(publish.device, publish.payload));
  broker.setHandler('stateReported', (publish) => state.reportPayload(publish.device, publish.payload));
  const stopFollowingDevices = bus.subscribe('deviceChanged', (event) => {
    state.onDeviceChanged(event).catch((error: unknown) => stateLog.error({ err: error, deviceId: event.deviceId }, 'desired state not recomputed'));
  });
  const commandsLog = log.child({ feature: 'commands' });
  const commandMetrics = createCommandMetrics(metrics.registry);
  const commands = createCommandsService({ db, bus, log: commandsLog, metrics: commandMetrics });
  const commandDelivery = createCommandDelivery({ broker, commands, bus, metrics: commandMetrics, log: commandsLog });
  const commandSweeper = createCommandSweeper({ commands, log: commandsLog, options: { intervalMs: config.commandSweepIntervalMs } });
  commandSweeper.start();
  const live = createLiveService({
    authenticate: auth.authenticate,
    bus,
    repository: createLiveRepository(db),
    registry: metrics.registry,
    log: log.child({ feature: 'live' }),
    bufferBytes: config.liveBufferBytes,
    slowClientTimeoutMs: config.liveSlowClientTimeoutMs,
  });
  const upgrades = new Map<string, UpgradeHandler>([
    [MQTT_WEBSOCKET_PATH, createMqttWebSocketHandler(broker, broker.maxPacketBytes)],
    [`${API_PREFIX}/live`, live.handleUpgrade],
  ]);
  installUpgradeRouter(app.server, upgrades, log.child({ feature: 'http' }));

  installValidation(app);
  installErrorHandler(app);
  installAccessControl(app, auth.authenticate, audit);
  metrics.install(app);
  await app.register(rateLimit, { global: false });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Flotilla API', version: '1', description: 'Manage fleets of connected devices.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, deviceBasic: { type: 'http', scheme: 'basic' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(opsRoutes({ store, metrics }));
  await app.register(installRoutes());
  await app.register(authRoutes({ auth, config }), { prefix: API_PREFIX });
  await app.register(usersRoutes({ users }), { prefix: API_PREFIX });
  await app.register(tokensRoutes({ tokens }), { prefix: API_PREFIX });
  await app.register(auditRoutes({ audit }), { prefix: API_PREFIX });
  await app.register(devicesRoutes({ devices }), { prefix: API_PREFIX });
  await app.register(enrollmentRoutes({ enrollment, claims, config, connection: () => deviceConnectionOf(broker) }), { prefix: API_PREFIX });
  await app.register(claimsRoutes({ claims, config }), { prefix: API_PREFIX });
  await app.register(telemetryRoutes({ telemetry, authenticateDevice: (id, secret) => devices.authenticateDevice(id, secret) }), { prefix: API_PREFIX });
  await app.register(commandsRoutes({ commands, authenticateDevice: (id, secret) => devices.authenticateDevice(id, secret) }), { prefix: API_PREFIX });
  await app.register(liveRoutes(), { prefix: API_PREFIX });
  await app.register(stateRoutes({ state, authenticateDevice: (id, secret) => devices.authenticateDevice(id, secret) }), { prefix: API_PREFIX });
  await app.register(profilesRoutes({ profiles }), { prefix: API_PREFIX });
  await app.register(eventsRoutes({ events, authenticateDevice: (id, secret) => devices.authenticateDevice(id, secret) }), { prefix: API_PREFIX });
  await app.register(connectionRoutes({ broker, authenticateDevice: (id, secret) => devices.authenticateDevice(id, secret) }), { prefix: API_PREFIX });

  installNotFoundHandler(app, await installDashboard(app, config.webDir));
  installGracefulClose(app);
  // Devices and live clients are disconnected (and presence written) while the store is still
  // open; long polls answer at once, so they do not hold the HTTP server open.
  app.addHook('preClose', async () => {
    commands.stop();
    await Promise.all([commandDelivery.stop(), broker.stop(), live.stop()]);
  });
  // Stop the writers before the store closes: every accepted point is committed first.
  app.addHook('onClose', async () => {
    stopFollowingDevices();
    stateDelivery.stop();
    await stateHistory?.idle();
    await retention.stop();
    await commandSweeper.stop();
    await events.stop();
    await ingest.close();
    await bus.close();
  });
  app.addHook('onClose', async () => store.close());
  return app;
}
