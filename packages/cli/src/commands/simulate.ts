/**
 * `flotilla simulate --devices N`: N virtual devices in this process, each a real device of the
 * server (enrolled once, credentials kept in a state file) speaking the protocol through the SDK.
 * They send readings every interval, answer `ping`, report a small state, and print a running
 * summary until Ctrl-C (or --duration).
 */
import { Option, type Command } from 'commander';
import { createDeviceClient, enroll, RequestFailedError, SdkError, type CommandMessage, type DeviceClient, type TransportChoice } from '@flotilla/sdk';
import { collect, parseDurationMs, parseLabels, parsePositiveInteger, parseServerUrl } from '../args.js';
import type { CliContext } from '../context.js';
import { credentialsPath } from '../credentials.js';
import { CliError, EXIT_FAILURE, usageError } from '../errors.js';
import { createSimulatorState, defaultStateFile, type SimulatedDevice } from '../simulate/simulator-state.js';
import { createVirtualMetrics } from '../simulate/virtual-metrics.js';

interface SimulateOptions {
  devices: number;
  interval: number;
  duration?: number;
  server?: string;
  enrollToken?: string;
  stateFile?: string;
  namePrefix: string;
  label: string[];
  transport: TransportChoice;
  mqttUrl?: string;
}

/** Counters of the running summary. */
interface Totals {
  acked: number;
  errors: number;
  commands: number;
}

const MAX_DEVICES = 10_000;
const NAME_PREFIX_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const SUMMARY_INTERVAL_MS = 2000;
const ENROLL_CONCURRENCY = 8;
const REPORTED_STATE = { simulated: true, firmware: '1.0.0' };

/** Adds `simulate`. */
export function registerSimulateCommand(program: Command, context: CliContext): void {
  program
    .command('simulate')
    .description('run virtual devices that send realistic telemetry and answer ping, for demos and load tests')
    .option('--devices <n>', `how many virtual devices (1-${MAX_DEVICES})`, (text) => parsePositiveInteger(text, '--devices', MAX_DEVICES), 10)
    .option('--interval <duration>', 'time between two readings of one device, such as 5s or 1m', (text) => parseDurationMs(text, '--interval', 86_400_000), 5000)
    .option('--duration <duration>', 'stop by itself after this long (default: run until Ctrl-C)', (text) => parseDurationMs(text, '--duration', 30 * 86_400_000))
    .option('--server <url>', 'server address (default: FLOTILLA_SERVER or the signed-in one)', parseServerUrl)
    .option('--enroll-token <token>', 'enrollment token the new devices enroll with (default: one made with your session)')
    .option('--state-file <path>', 'where the virtual devices\' credentials are kept, so runs reuse them (default: simulator.json in the config dir)')
    .option('--name-prefix <prefix>', 'new devices are named <prefix>-<n>', 'sim')
    .option('--label <key=value>', 'label of new devices, repeatable (needs a session: set on the enrollment token simulate makes)', collect, [])
    .addOption(new Option('--transport <transport>', 'how devices connect').choices(['auto', 'mqtt', 'http']).default('auto'))
    .option('--mqtt-url <url>', 'MQTT broker address, such as mqtt://host:1883 (default: the server\'s host, port 1883)')
    .action((options: SimulateOptions) => runSimulate(context, options));
}

async function runSimulate(context: CliContext, options: SimulateOptions): Promise<void> {
  if (!NAME_PREFIX_PATTERN.test(options.namePrefix)) throw usageError(`--name-prefix must be letters, digits and ._- (at most 100), starting with a letter or digit, not "${options.namePrefix}"`);
  const labels = parseLabels(options.label);
  if (options.enrollToken !== undefined && options.label.length > 0) throw usageError('--label applies to the enrollment token simulate makes; with --enroll-token the devices get that token\'s labels');
  if (options.enrollToken !== undefined && options.enrollToken.trim() === '') throw usageError('--enroll-token must not be empty');
  const serverUrl = options.server ?? context.serverUrl();
  const state = createSimulatorState(options.stateFile ?? defaultStateFile(credentialsPath(context.env)));
  const devices = await enrolledDevices(context, options, serverUrl, state, labels);
  await runDevices(context, options, serverUrl, devices);
}

/** The devices to run: the saved ones first, and new ones enrolled for the rest. */
async function enrolledDevices(context: CliContext, options: SimulateOptions, serverUrl: string, state: ReturnType<typeof createSimulatorState>, labels: Record<string, string>): Promise<SimulatedDevice[]> {
  const devices = state.devicesOf(serverUrl);
  const missing = options.devices - devices.length;
  if (missing <= 0) return devices.slice(0, options.devices);
  const token = options.enrollToken ?? (await makeEnrollmentToken(context, missing, labels));
  context.output.note(`enrolling ${missing} virtual device${missing === 1 ? '' : 's'} with ${serverUrl}`);
  let next = devices.length;
  const worker = async () => {
    while (next < options.devices) {
      const index = next++;
      devices.push(await enrollOne(context, serverUrl, token, `${options.namePrefix}-${index + 1}`));
      // Saved after each one, so an interrupted run loses no device it created.
      state.save(serverUrl, devices);
    }
  };
  await Promise.all(Array.from({ length: Math.min(ENROLL_CONCURRENCY, missing) }, worker));
  return devices;
}

/** An enrollment token for `uses` devices, made with the signed-in session. */
async function makeEnrollmentToken(context: CliContext, uses: number, labels: Record<string, string>): Promise<string> {
  let client;
  try {
    client = context.connect();
  } catch (error) {
    if (error instanceof CliError && error.code === 'NOT_SIGNED_IN') throw usageError('new virtual devices need --enroll-token, or a session (flotilla login, or FLOTILLA_TOKEN) to make one');
    throw error;
  }
  const created = await client.post<{ token: string }>('/enrollment-tokens', { name: 'flotilla simulate', labels: { simulated: 'true', ...labels }, maxUses: uses, expiresInSeconds: 3600 });
  return created.token;
}

/** Enrolls one device, waiting out the server's enrollment rate limit. */
async function enrollOne(context: CliContext, serverUrl: string, token: string, name: string): Promise<SimulatedDevice> {
  for (;;) {
    try {
      const enrolled = await enroll({ serverUrl, token }, { name });
      return { name: enrolled.name, deviceId: enrolled.deviceId, secret: enrolled.secret };
    } catch (error) {
      if (error instanceof RequestFailedError && error.status === 429) {
        const waitSeconds = error.retryAfterSeconds ?? 5;
        context.output.note(`the server limits enrollments; waiting ${waitSeconds}s`);
        await new Promise((resolve) => setTimeout(resolve, waitSeconds * 1000));
        continue;
      }
      if (error instanceof SdkError) throw new CliError(`cannot enroll ${name}: ${error.message}`, error.code, EXIT_FAILURE);
      throw error;
    }
  }
}

/** Runs the devices until Ctrl-C or --duration, printing a summary every few seconds. */
async function runDevices(context: CliContext, options: SimulateOptions, serverUrl: string, devices: readonly SimulatedDevice[]): Promise<void> {
  const totals: Totals = { acked: 0, errors: 0, commands: 0 };
  const clients = devices.map((device) => startDevice(context, options, serverUrl, device, totals));
  const startedAt = Date.now();
  let lastAcked = 0;
  let lastAt = startedAt;
  const summary = () => {
    const now = Date.now();
    const rate = ((totals.acked - lastAcked) * 1000) / Math.max(1, now - lastAt);
    lastAcked = totals.acked;
    lastAt = now;
    const connected = clients.filter((client) => client.isConnected).length;
    context.output.note(`simulate: ${connected}/${clients.length} connected, ${rate.toFixed(1)} readings acked/s, ${totals.acked} acked, ${totals.commands} commands, ${totals.errors} errors`);
  };
  const summaryTimer = setInterval(summary, SUMMARY_INTERVAL_MS);
  let stop = () => {};
  await new Promise<void>((resolve) => {
    stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (options.duration) setTimeout(stop, options.duration).unref();
  });
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  clearInterval(summaryTimer);
  context.output.note('stopping the virtual devices');
  await Promise.all(clients.map((client) => client.stop()));
  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  context.output.line(`simulated ${devices.length} devices for ${seconds}s: ${totals.acked} readings acknowledged, ${totals.commands} commands answered, ${totals.errors} errors`);
}

/** One virtual device: connect, report state, answer commands, send a reading every interval. */
function startDevice(context: CliContext, options: SimulateOptions, serverUrl: string, device: SimulatedDevice, totals: Totals) {
  const client: DeviceClient = createDeviceClient({
    serverUrl,
    deviceId: device.deviceId,
    secret: device.secret,
    transport: options.transport,
    ...(options.mqttUrl ? { mqttUrl: options.mqttUrl } : {}),
  });
  const metrics = createVirtualMetrics();
  let hasReported = false;
  client.on('error', (error) => {
    totals.errors++;
    if (error instanceof SdkError && error.code === 'CREDENTIALS_REFUSED') context.output.warn(`${device.name} (${device.deviceId}): ${error.message}; delete it from the state file to enroll a new one`);
  });
  client.on('connected', () => {
    if (hasReported) return;
    client.reportState(REPORTED_STATE).then(() => (hasReported = true), () => totals.errors++);
  });
  client.onCommand((command) => void answer(client, command, totals));
  const send = () => {
    if (!client.isConnected) return;
    client.publishTelemetry(metrics.next()).then(() => totals.acked++, () => totals.errors++);
  };
  // Spread over the first second, so N devices do not all send in the same millisecond.
  let timer: ReturnType<typeof setInterval> | null = null;
  const start = setTimeout(() => {
    send();
    timer = setInterval(send, options.interval);
  }, Math.random() * Math.min(options.interval, 1000));
  return {
    get isConnected() {
      return client.isConnected;
    },
    async stop() {
      clearTimeout(start);
      if (timer) clearInterval(timer);
      await client.close();
    },
  };
}

/** `ping` answers with the device time; anything else is not known to a virtual device. */
async function answer(client: DeviceClient, command: CommandMessage, totals: Totals): Promise<void> {
  const result = command.name === 'ping'
    ? { status: 'succeeded' as const, output: { pong: true, deviceTime: Date.now() } }
    : { status: 'failed' as const, error: `a simulated device does not know the command "${command.name}"` };
  try {
    await client.sendCommandResult(command.id, result);
    totals.commands++;
  } catch {
    totals.errors++;
  }
}
