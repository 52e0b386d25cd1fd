/** The fleet command list's filters live in the URL (`?status=&name=&deviceId=&batchId=`), so views can be shared. */
import { COMMAND_STATUSES, type CommandStatus } from '@flotilla/protocol';

/** Commands per page of the list. */
export const COMMAND_PAGE_SIZE = 50;

/** The filters of the command list. */
export interface CommandListQuery {
  status: CommandStatus | '';
  name: string;
  deviceId: string;
  batchId: string;
}

/** Reads the filters from URL parameters, ignoring a status the API would not accept. */
export function readCommandListQuery(params: URLSearchParams): CommandListQuery {
  const status = params.get('status') ?? '';
  return {
    status: (COMMAND_STATUSES as readonly string[]).includes(status) ? (status as CommandStatus) : '',
    name: params.get('name') ?? '',
    deviceId: params.get('deviceId') ?? '',
    batchId: params.get('batchId') ?? '',
  };
}

/** The URL search string of the filters; empty ones are left out. */
export function commandListSearch(query: CommandListQuery): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value.trim()) params.set(key, value.trim());
  const text = params.toString();
  return text ? `?${text}` : '';
}
