/**
 * The simulator's state file: the credentials of the virtual devices it enrolled, per server,
 * so that running it again reuses them instead of creating new devices. Written atomically and
 * readable only by its owner (it holds device secrets).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { CliError, EXIT_FAILURE } from '../errors.js';

const SimulatedDeviceSchema = Type.Object({ name: Type.String(), deviceId: Type.String({ minLength: 1 }), secret: Type.String({ minLength: 1 }) });
const StateFileSchema = Type.Object({ servers: Type.Record(Type.String(), Type.Array(SimulatedDeviceSchema)) });

/** One virtual device's credentials. */
export type SimulatedDevice = Static<typeof SimulatedDeviceSchema>;
type StateFile = Static<typeof StateFileSchema>;

/** The default place: beside the CLI's credentials. */
export function defaultStateFile(credentialsPath: string): string {
  return join(dirname(credentialsPath), 'simulator.json');
}

/** The store over one file; devices are kept per server URL. */
export function createSimulatorState(path: string) {
  function read(): StateFile {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { servers: {} };
      throw new CliError(`cannot read the state file ${path}: ${(error as Error).message}`, 'STATE_FILE_UNREADABLE', EXIT_FAILURE);
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new CliError(`the state file ${path} is not JSON; fix it or delete it (its devices will be enrolled anew)`, 'STATE_FILE_INVALID', EXIT_FAILURE);
    }
    if (!Value.Check(StateFileSchema, value)) {
      const first = Value.Errors(StateFileSchema, value).First();
      throw new CliError(`the state file ${path} is not a simulator state file (${first?.path || '/'}: ${first?.message}); fix it or delete it`, 'STATE_FILE_INVALID', EXIT_FAILURE);
    }
    return value;
  }

  return {
    path,
    /** The devices saved for this server. */
    devicesOf: (serverUrl: string): SimulatedDevice[] => read().servers[serverUrl] ?? [],
    /** Saves the devices of this server, keeping the others'. */
    save(serverUrl: string, devices: readonly SimulatedDevice[]): void {
      const state = read();
      state.servers[serverUrl] = [...devices];
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      const temporary = `${path}.${process.pid}.tmp`;
      writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
      renameSync(temporary, path);
    },
  };
}
