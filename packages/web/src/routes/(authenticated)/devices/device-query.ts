/** The device list's filters live in the URL (`?selector=&q=&drift=&sort=`), so views can be shared. */
import type { DeviceSort, DeviceSortKey, DriftFilter } from '$lib/api/devices.js';

/** Devices per page of the list. */
export const DEVICE_PAGE_SIZE = 50;

/** The filters and order of the device list. */
export interface DeviceListQuery {
  selector: string;
  q: string;
  /** 'true': only devices in drift; 'false': only those in step; '': all. */
  drift: DriftFilter;
  sort: DeviceSort | '';
}

const SORT_KEYS: DeviceSortKey[] = ['name', 'createdAt', 'updatedAt', 'lastSeenAt'];

/** Reads the list's query from URL parameters, ignoring a sort the API would not accept. */
export function readDeviceListQuery(params: URLSearchParams): DeviceListQuery {
  const sort = params.get('sort') ?? '';
  const isKnownSort = SORT_KEYS.includes(sort.replace(/^-/, '') as DeviceSortKey);
  const drift = params.get('drift');
  return {
    selector: params.get('selector') ?? '',
    q: params.get('q') ?? '',
    drift: drift === 'true' || drift === 'false' ? drift : '',
    sort: isKnownSort ? (sort as DeviceSort) : '',
  };
}

/** The URL search string of a query; empty parts are left out. */
export function deviceListSearch(query: DeviceListQuery): string {
  const params = new URLSearchParams();
  if (query.selector.trim()) params.set('selector', query.selector.trim());
  if (query.q.trim()) params.set('q', query.q.trim());
  if (query.drift) params.set('drift', query.drift);
  if (query.sort) params.set('sort', query.sort);
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** The order after clicking a column: ascending first, then descending. */
export function nextSort(current: DeviceSort | '', key: DeviceSortKey): DeviceSort {
  return current === key ? `-${key}` : key;
}
