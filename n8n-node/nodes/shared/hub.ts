import { NodeApiError } from 'n8n-workflow';
import type {
	IDataObject,
	IExecuteFunctions,
	IHttpRequestMethods,
	ILoadOptionsFunctions,
	INodeListSearchResult,
	INodePropertyOptions,
	IPollFunctions,
	JsonObject,
} from 'n8n-workflow';

export const CREDENTIAL = 'posHubApi';

type HubContext = IExecuteFunctions | IPollFunctions | ILoadOptionsFunctions;

interface Problem {
	type?: string;
	title?: string;
	status?: number;
	detail?: string;
	errors?: Array<{ path?: string; message?: string }>;
}

interface FullResponse {
	statusCode: number;
	headers?: Record<string, string | string[] | undefined>;
	body?: unknown;
}

const parseBody = (body: unknown): unknown => {
	if (typeof body !== 'string') return body;
	try {
		return JSON.parse(body);
	} catch {
		return body;
	}
};

/** Seconds to wait from a Retry-After header (seconds or an HTTP date). */
export function retryAfterSeconds(value: unknown, now = Date.now()): number {
	const text = Array.isArray(value) ? String(value[0]) : String(value ?? '');
	if (/^\d+$/.test(text.trim())) return parseInt(text, 10);
	const at = Date.parse(text);
	return Number.isNaN(at) ? 60 : Math.max(1, Math.ceil((at - now) / 1000));
}

/** The message and description a person sees for a hub error answer. */
export function describeProblem(status: number, problem: Problem, retryAfter?: unknown): { message: string; description: string } {
	const title = problem.title || `The hub answered with status ${status}`;
	const detail = problem.detail ? `: ${problem.detail}` : '';
	if (status === 401) {
		return {
			message: 'The hub did not accept the API key',
			description: 'The key may be revoked, expired or mistyped. Update the POS Hub API credential with an automation API key.',
		};
	}
	if (status === 403) {
		return { message: `${title}${detail}`, description: 'Use an API key with the "automation" scope for n8n.' };
	}
	if (status === 429) {
		const seconds = retryAfterSeconds(retryAfter);
		return {
			message: `The hub is busy (too many requests): try again in ${seconds} seconds`,
			description: `The hub asked to wait ${seconds} seconds (Retry-After). Turn on "Retry On Fail" to retry automatically.`,
		};
	}
	const fieldErrors = (problem.errors ?? []).map((e) => `${e.path || '(request)'}: ${e.message ?? 'invalid'}`);
	return {
		message: `${title}${detail}`,
		description: fieldErrors.length ? `Fields the hub did not accept:\n${fieldErrors.join('\n')}` : problem.type ?? '',
	};
}

/** A hub answer with its headers, for the lookups' X-Next-Cursor. */
export interface HubAnswer {
	body: any;
	headers: Record<string, string | string[] | undefined>;
}

/** One authenticated hub request with its headers; error answers become NodeApiErrors with messages for people. */
export async function hubRequestFull(
	this: HubContext,
	method: IHttpRequestMethods,
	path: string,
	options: { qs?: IDataObject; body?: IDataObject; headers?: Record<string, string> } = {},
): Promise<HubAnswer> {
	const credentials = await this.getCredentials(CREDENTIAL);
	const baseURL = String(credentials.hubUrl ?? '').trim().replace(/\/+$/, '');
	let response: FullResponse;
	try {
		response = (await this.helpers.httpRequestWithAuthentication.call(this, CREDENTIAL, {
			method,
			baseURL,
			url: path,
			qs: options.qs,
			body: options.body,
			json: true,
			headers: { Accept: 'application/json', ...(options.headers ?? {}) },
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
		})) as FullResponse;
	} catch (error) {
		throw new NodeApiError(this.getNode(), error as JsonObject, {
			message: `Could not reach the hub at ${baseURL}`,
			description: (error as Error).message,
		});
	}
	const body = parseBody(response.body);
	if (response.statusCode >= 400) {
		const problem = (body && typeof body === 'object' ? body : {}) as Problem;
		const { message, description } = describeProblem(response.statusCode, problem, response.headers?.['retry-after']);
		throw new NodeApiError(this.getNode(), problem as JsonObject, {
			message,
			description,
			httpCode: String(response.statusCode),
		});
	}
	return { body, headers: response.headers ?? {} };
}

/** One authenticated hub request; the answer's body. */
export async function hubRequest(
	this: HubContext,
	method: IHttpRequestMethods,
	path: string,
	options: { qs?: IDataObject; body?: IDataObject; headers?: Record<string, string> } = {},
): Promise<any> {
	return (await hubRequestFull.call(this, method, path, options)).body;
}

/** The cursor of the next lookup page (X-Next-Cursor), or undefined on the last page. */
export function nextCursor(headers: HubAnswer['headers']): string | undefined {
	const entry = Object.entries(headers).find(([name]) => name.toLowerCase() === 'x-next-cursor');
	const value = Array.isArray(entry?.[1]) ? entry?.[1][0] : entry?.[1];
	return value ? String(value) : undefined;
}

// Pages a dropdown loads at most. A plain n8n dropdown cannot ask for more while it is open, so it
// loads every page up front; at the hub's page size this is thousands of entries, beyond which a
// value is better given by expression than picked from a list.
export const MAX_LOOKUP_PAGES = 50;

/** Every entry of a lookup, page after page along X-Next-Cursor. */
export async function lookupAll(this: ILoadOptionsFunctions, path: string): Promise<IDataObject[]> {
	const items: IDataObject[] = [];
	let cursor: string | undefined;
	for (let page = 0; page < MAX_LOOKUP_PAGES; page += 1) {
		const { body, headers } = await hubRequestFull.call(this, 'GET', path, { qs: cursor ? { cursor } : undefined });
		if (Array.isArray(body)) items.push(...(body as IDataObject[]));
		cursor = nextCursor(headers);
		if (!cursor) break;
	}
	return items;
}

/** Dropdown options from one of the hub's lookups, labelled by name. */
export async function lookupOptions(
	this: ILoadOptionsFunctions,
	path: string,
	value: (item: IDataObject) => string = (item) => String(item.id),
	extra: (item: IDataObject) => string = () => '',
): Promise<INodePropertyOptions[]> {
	const items = await lookupAll.call(this, path);
	return items.map((item) => ({
		name: String(item.name ?? value(item)),
		value: value(item),
		description: extra(item) || undefined,
	}));
}

// A single-value filter's "leave empty for all" as an entry of the list: n8n marks a value that is not
// among the options as "not supported", and the empty default is not among the hub's entries.
const ALL = (what: string): INodePropertyOptions => ({ name: `All ${what}`, value: '', description: 'No filter' });

const locationOptions = function (this: ILoadOptionsFunctions) {
	return lookupOptions.call(this, '/v1/locations', (i) => String(i.id), (i) => String(i.id));
};
const connectionOptions = function (this: ILoadOptionsFunctions) {
	return lookupOptions.call(this, '/v1/connections', (i) => String(i.id), (i) => `${i.type ?? ''} ${i.id}`.trim());
};
const menuItemOptions = function (this: ILoadOptionsFunctions) {
	return lookupOptions.call(this, '/v1/menu-items', (i) => String(i.sku), (i) => String(i.sku));
};

export const loadOptions = {
	async getLocations(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
		return locationOptions.call(this);
	},
	async getConnections(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
		return connectionOptions.call(this);
	},
	async getMenuItems(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
		return menuItemOptions.call(this);
	},
	async getLocationFilter(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
		return [ALL('locations'), ...(await locationOptions.call(this))];
	},
	async getConnectionFilter(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
		return [ALL('connections'), ...(await connectionOptions.call(this))];
	},
	async getMenuItemFilter(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
		return [ALL('menu items'), ...(await menuItemOptions.call(this))];
	},
};

/** Resource-locator list searches: one page per call, n8n asks for the next with paginationToken. */
export const listSearch = {
	async searchCoupons(this: ILoadOptionsFunctions, filter?: string, paginationToken?: string): Promise<INodeListSearchResult> {
		const qs: IDataObject = {};
		if (filter) qs.q = filter;
		if (paginationToken) qs.cursor = paginationToken;
		const { body, headers } = await hubRequestFull.call(this, 'GET', '/v1/coupons', { qs });
		const coupons = (Array.isArray(body) ? body : []) as IDataObject[];
		return {
			results: coupons.map((coupon) => ({
				name: coupon.name ? `${coupon.code} – ${coupon.name}` : String(coupon.code),
				value: String(coupon.code),
			})),
			paginationToken: nextCursor(headers),
		};
	},
	/** Orders, newest first; the search text matches the channel order id, POS order id or customer key. */
	async searchOrders(this: ILoadOptionsFunctions, filter?: string, paginationToken?: string): Promise<INodeListSearchResult> {
		const qs: IDataObject = {};
		if (filter) qs.q = filter;
		if (paginationToken) qs.cursor = paginationToken;
		const { body, headers } = await hubRequestFull.call(this, 'GET', '/v1/orders', { qs });
		const orders = (Array.isArray(body) ? body : []) as IDataObject[];
		return {
			results: orders.map((order) => ({
				name: String(order.name ?? order.id), // e.g. WEB-1042 · Kiosk Mitte · accepted
				value: String(order.id),
			})),
			paginationToken: nextCursor(headers),
		};
	},
};
