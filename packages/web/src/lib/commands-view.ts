/**
 * How commands read and are written in the dashboard: a form generated from each well-known
 * command's param schema, the deadlines, statuses as badges, and live status events.
 */
import {
  COMMAND_STATUSES,
  DEFAULT_COMMAND_TIMEOUT_MS,
  FINAL_COMMAND_STATUSES,
  WELL_KNOWN_COMMANDS,
  type Command,
  type CommandStatus,
  type LiveServerMessage,
} from '@flotilla/protocol';

/** The well-known commands, as the picker lists them. */
export const WELL_KNOWN_COMMAND_LIST = Object.values(WELL_KNOWN_COMMANDS).map(({ name, description, params, timeoutMs }) => ({ name, description, params, timeoutMs }));

/** The kinds of input a parameter gets. */
export type ParamKind = 'integer' | 'number' | 'string' | 'boolean' | 'json';

/** One parameter of a command, as a form field. */
export interface ParamField {
  name: string;
  kind: ParamKind;
  isRequired: boolean;
  description: string | null;
  default: unknown;
  minimum: number | null;
  maximum: number | null;
  minLength: number | null;
  maxLength: number | null;
  /** For a string chosen from a list. */
  options: string[] | null;
}

type JsonSchema = Record<string, unknown>;

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' ? value : null;
}

/** The choices of a string enum (`enum`, or TypeBox's union of literals), or null. */
function optionsOf(schema: JsonSchema): string[] | null {
  if (Array.isArray(schema.enum) && schema.enum.every((option) => typeof option === 'string')) return schema.enum as string[];
  const union = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(union) && union.length > 0 && union.every((option: JsonSchema) => typeof option?.const === 'string')) {
    return union.map((option: JsonSchema) => option.const as string);
  }
  return null;
}

function kindOf(schema: JsonSchema, options: string[] | null): ParamKind {
  if (options) return 'string';
  const type = schema.type;
  return type === 'integer' || type === 'number' || type === 'string' || type === 'boolean' ? type : 'json';
}

/** The form fields of a params schema (an object schema): one per property, in order. */
export function paramFields(schema: unknown): ParamField[] {
  if (typeof schema !== 'object' || schema === null) return [];
  const { properties, required } = schema as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(properties ?? {}).map(([name, property]) => {
    const options = optionsOf(property);
    return {
      name,
      kind: kindOf(property, options),
      isRequired: required?.includes(name) ?? false,
      description: typeof property.description === 'string' ? property.description : null,
      default: property.default,
      minimum: numberOrNull(property.minimum),
      maximum: numberOrNull(property.maximum),
      minLength: numberOrNull(property.minLength),
      maxLength: numberOrNull(property.maxLength),
      options,
    };
  });
}

/** What a form holds for each field: text, or a tick for a boolean. */
export type ParamValues = Record<string, string | boolean>;

/** A form's first values: each field's default, else empty. */
export function initialParamValues(fields: readonly ParamField[]): ParamValues {
  return Object.fromEntries(
    fields.map((field) => {
      if (field.kind === 'boolean') return [field.name, field.default === true];
      if (field.default === undefined) return [field.name, ''];
      return [field.name, field.kind === 'json' ? JSON.stringify(field.default) : String(field.default)];
    }),
  );
}

/** A field's value read from its text, or the problem with it. */
function readField(field: ParamField, text: string): { value: unknown } | { problem: string } {
  if (field.kind === 'integer' || field.kind === 'number') {
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value)) return { problem: 'must be a number' };
    if (field.kind === 'integer' && !Number.isInteger(value)) return { problem: 'must be a whole number' };
    if (field.minimum !== null && value < field.minimum) return { problem: `must be at least ${field.minimum}` };
    if (field.maximum !== null && value > field.maximum) return { problem: `must be at most ${field.maximum}` };
    return { value };
  }
  if (field.kind === 'json') {
    try {
      return { value: JSON.parse(text) };
    } catch {
      return { problem: 'must be JSON' };
    }
  }
  if (field.minLength !== null && text.length < field.minLength) return { problem: `must be at least ${field.minLength} characters` };
  if (field.maxLength !== null && text.length > field.maxLength) return { problem: `must be at most ${field.maxLength} characters` };
  if (field.options && !field.options.includes(text)) return { problem: `must be one of ${field.options.join(', ')}` };
  return { value: text };
}

/** The params a form makes, or the problem of each field that stops it; empty optional fields are left out. */
export function paramsOf(fields: readonly ParamField[], values: ParamValues): { params: Record<string, unknown>; problems: Record<string, string> } {
  const params: Record<string, unknown> = {};
  const problems: Record<string, string> = {};
  for (const field of fields) {
    const raw = values[field.name];
    if (field.kind === 'boolean') {
      params[field.name] = raw === true;
      continue;
    }
    const text = typeof raw === 'string' ? raw : '';
    if (text.trim() === '') {
      if (field.isRequired) problems[field.name] = 'is required';
      continue;
    }
    const read = readField(field, text);
    if ('problem' in read) problems[field.name] = read.problem;
    else params[field.name] = read.value;
  }
  return { params, problems };
}

/** The timeout a command gets unless the sender sets one, in seconds. */
export function defaultTimeoutSeconds(name: string): number {
  const known = WELL_KNOWN_COMMAND_LIST.find((command) => command.name === name);
  return Math.round((known?.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS) / 1000);
}

/** How long a command may wait for its device, for the picker; the server's default is 7 days. */
export const COMMAND_EXPIRY_CHOICES: { label: string; ms: number }[] = [
  { label: '10 minutes', ms: 10 * 60_000 },
  { label: '1 hour', ms: 3_600_000 },
  { label: '1 day', ms: 86_400_000 },
  { label: '7 days', ms: 7 * 86_400_000 },
  { label: '30 days', ms: 30 * 86_400_000 },
];

/** The colour of a status badge. */
export function commandStatusTone(status: CommandStatus): '' | 'accent' | 'success' | 'danger' | 'warning' {
  if (status === 'succeeded') return 'success';
  if (status === 'failed') return 'danger';
  if (status === 'expired' || status === 'cancelled') return 'warning';
  if (status === 'sent' || status === 'acknowledged') return 'accent';
  return '';
}

/** True while the device has not acknowledged the command, so it can still be cancelled. */
export function isCancellable(status: CommandStatus): boolean {
  return status === 'queued' || status === 'sent';
}

/** True once a command can change no more. */
export function isFinal(status: CommandStatus): boolean {
  return FINAL_COMMAND_STATUSES.includes(status);
}

/** A live `command` event. */
export type CommandEvent = Extract<LiveServerMessage, { type: 'command' }>;

/**
 * A command list with a live status change applied: the status, its timestamp and the error.
 * Events for commands not in the list, and events older than the status shown, change nothing.
 */
export function applyCommandEvent(commands: readonly Command[], event: CommandEvent): Command[] {
  return commands.map((command) => {
    if (command.id !== event.commandId || isFinal(command.status)) return command;
    if (COMMAND_STATUSES.indexOf(event.status) < COMMAND_STATUSES.indexOf(command.status)) return command; // an older event, late
    const at = new Date(event.at).toISOString();
    const updated: Command = { ...command, status: event.status, error: event.error ?? command.error };
    if (event.status === 'sent') updated.sentAt ??= at;
    else if (event.status === 'acknowledged') updated.acknowledgedAt ??= at;
    else if (isFinal(event.status)) updated.finishedAt ??= at;
    return updated;
  });
}
