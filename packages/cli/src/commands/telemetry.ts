/** `flotilla telemetry …`: read a device's points or aggregates, the fleet's latest values, and follow them live. */
import {
  TELEMETRY_AGGREGATES,
  TELEMETRY_BUCKETS,
  type Page,
  type TelemetryAggregateReply,
  type TelemetryLatestItem,
  type TelemetryPointItem,
} from '@flotilla/protocol';
import { Option, type Command } from 'commander';
import { parseList, parsePositiveInteger, parseTimeOption } from '../args.js';
import type { ApiClient, Query } from '../client.js';
import type { CliContext } from '../context.js';
import { usageError } from '../errors.js';
import { formatRelative, formatValue, type Column } from '../format.js';
import { checkSelector, resolveDevice } from './devices.js';
import { noteMore, segment, withJson, type JsonOptions } from './shared.js';
import { registerTailCommand } from './telemetry-tail.js';

/** The most raw points the API serves in one page. */
const MAX_POINTS_PAGE = 10_000;

interface QueryOptions extends JsonOptions {
  keys?: string[];
  from?: number;
  to?: number;
  agg?: (typeof TELEMETRY_AGGREGATES)[number];
  bucket?: (typeof TELEMETRY_BUCKETS)[number];
  limit?: number;
  all?: boolean;
  csv?: boolean;
}

interface LatestOptions extends JsonOptions {
  selector?: string;
  keys?: string[];
}

/** One row of a table of points: raw or one bucket's aggregate. */
interface PointRow {
  ts: number;
  key: string;
  value: unknown;
}

/** One row of the latest-values table. */
interface LatestRow extends PointRow {
  device: string;
}

const isoTime = (ts: number) => new Date(ts).toISOString();

/** Adds `telemetry query|latest|tail`. */
export function registerTelemetryCommands(program: Command, context: CliContext): void {
  const telemetry = program.command('telemetry').description("read devices' telemetry, or follow it live");

  withJson(
    telemetry
      .command('query')
      .description("a device's points in a time range, or their aggregates in time buckets with --agg")
      .argument('<device>', 'id or name')
      .option('--keys <keys>', 'only these keys, comma-separated (default: every key)', parseList)
      .option('--from <time>', 'start: a duration back from now (1h, 7d) or an ISO 8601 time (default: a day before --to)', (text) => parseTimeOption(text, '--from'))
      .option('--to <time>', 'end, excluded: a duration back from now or an ISO 8601 time (default: now)', (text) => parseTimeOption(text, '--to'))
      .addOption(new Option('--agg <function>', 'aggregate in time buckets').choices(TELEMETRY_AGGREGATES))
      .addOption(new Option('--bucket <size>', 'bucket size with --agg (default auto: 100-500 buckets)').choices(TELEMETRY_BUCKETS))
      .option('--limit <n>', `raw points to show (1-${MAX_POINTS_PAGE}, default 1000)`, (text) => parsePositiveInteger(text, '--limit', MAX_POINTS_PAGE))
      .addOption(new Option('--all', 'every raw point of the range, following every page').conflicts('limit'))
      .addOption(new Option('--csv', "print the server's CSV export of the whole range").conflicts(['json', 'limit', 'all'])),
  ).action((reference: string, options: QueryOptions) => queryTelemetry(context, reference, options));

  withJson(
    telemetry
      .command('latest')
      .description('the latest value of every key of every device')
      .option('-l, --selector <selector>', 'only devices with these labels, e.g. "site=oslo,role!=gateway"')
      .option('--keys <keys>', 'only these keys, comma-separated', parseList),
  ).action((options: LatestOptions) => latestTelemetry(context, options));

  registerTailCommand(telemetry, context);
}

async function queryTelemetry(context: CliContext, reference: string, options: QueryOptions): Promise<void> {
  if (options.bucket && !options.agg) throw usageError('--bucket needs --agg: buckets hold aggregates');
  if (options.agg && (options.limit !== undefined || options.all)) throw usageError('--limit and --all page raw points; with --agg every bucket is shown');
  if (options.from !== undefined && options.to !== undefined && options.from >= options.to) throw usageError('--from must be before --to');
  const client = context.connect();
  const device = await resolveDevice(client, reference);
  const path = `/devices/${segment(device.id)}/telemetry`;
  const query: Query = { keys: options.keys?.join(','), from: options.from, to: options.to, agg: options.agg, bucket: options.bucket };

  if (options.csv) return client.download(`${path}.csv`, query, context.output.raw);
  if (options.agg) {
    const reply = await client.get<TelemetryAggregateReply>(path, query);
    if (options.json) return context.output.json(reply);
    const rows = reply.series.flatMap((series) => series.points.map((point) => ({ key: series.key, ...point })));
    return context.output.table(pointColumns(options.agg), sortRows(rows), 'no points in this range');
  }
  const page = await fetchPoints(client, path, query, options);
  if (options.json) return context.output.json(page);
  context.output.table(pointColumns('value'), page.items, 'no points in this range');
  noteMore(context, page, 'points');
}

/** One page of raw points, or with `--all` every page as one. */
async function fetchPoints(client: ApiClient, path: string, query: Query, options: QueryOptions): Promise<Page<TelemetryPointItem>> {
  if (!options.all) return client.get(path, { ...query, limit: options.limit });
  const items: TelemetryPointItem[] = [];
  let cursor: string | undefined;
  // `to` is fixed, so points arriving while paging do not stretch the range.
  const to = query.to ?? Date.now();
  do {
    const page = await client.get<Page<TelemetryPointItem>>(path, { ...query, to, limit: MAX_POINTS_PAGE, cursor });
    items.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return { items, nextCursor: null };
}

async function latestTelemetry(context: CliContext, options: LatestOptions): Promise<void> {
  if (options.selector !== undefined) checkSelector(options.selector);
  const client = context.connect();
  const items = await client.listAll<TelemetryLatestItem>('/telemetry/latest', { selector: options.selector, keys: options.keys?.join(',') });
  if (options.json) return context.output.json({ items, nextCursor: null });
  const wanted = options.keys ? new Set(options.keys) : null;
  const rows: LatestRow[] = items
    .flatMap((item) => Object.entries(item.values).map(([key, latest]) => ({ device: item.name, key, ...latest })))
    .filter((row) => !wanted || wanted.has(row.key))
    .sort((a, b) => compareText(a.device, b.device) || compareText(a.key, b.key));
  const columns: Column<LatestRow>[] = [
    { heading: 'device', cell: (row) => row.device },
    { heading: 'key', cell: (row) => row.key },
    { heading: 'value', cell: (row) => formatValue(row.value) },
    { heading: 'time', cell: (row) => `${isoTime(row.ts)} (${formatRelative(isoTime(row.ts))})` },
  ];
  context.output.table(columns, rows, options.selector || options.keys ? 'no telemetry matches' : 'no telemetry yet');
}

function pointColumns(valueHeading: string): Column<PointRow>[] {
  return [
    { heading: 'time', cell: (row) => isoTime(row.ts) },
    { heading: 'key', cell: (row) => row.key },
    { heading: valueHeading, cell: (row) => formatValue(row.value) },
  ];
}

// The API orders aggregates by key; people read a time series by time, as the raw points come.
function sortRows<Row extends PointRow>(rows: Row[]): Row[] {
  return rows.sort((a, b) => a.ts - b.ts || compareText(a.key, b.key));
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
