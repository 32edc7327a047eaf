import { NodeApiError } from 'n8n-workflow';
import type {
	IDataObject,
	IExecuteFunctions,
	IHttpRequestMethods,
	ILoadOptionsFunctions,
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

/** One authenticated hub request; error answers become NodeApiErrors with messages for people. */
export async function hubRequest(
	this: HubContext,
	method: IHttpRequestMethods,
	path: string,
	options: { qs?: IDataObject; body?: IDataObject } = {},
): Promise<any> {
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
			headers: { Accept: 'application/json' },
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
	return body;
}

/** Dropdown options from one of the hub's lookups, labelled by name. */
export async function lookupOptions(
	this: ILoadOptionsFunctions,
	path: string,
	value: (item: IDataObject) => string = (item) => String(item.id),
	extra: (item: IDataObject) => string = () => '',
): Promise<INodePropertyOptions[]> {
	const items = (await hubRequest.call(this, 'GET', path)) as IDataObject[];
	return (Array.isArray(items) ? items : []).map((item) => ({
		name: String(item.name ?? value(item)),
		value: value(item),
		description: extra(item) || undefined,
	}));
}

export const loadOptions = {
	async getLocations(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
		return lookupOptions.call(this, '/v1/locations', (i) => String(i.id), (i) => String(i.id));
	},
	async getConnections(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
		return lookupOptions.call(this, '/v1/connections', (i) => String(i.id), (i) => `${i.type ?? ''} ${i.id}`.trim());
	},
	async getMenuItems(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
		return lookupOptions.call(this, '/v1/menu-items', (i) => String(i.sku), (i) => String(i.sku));
	},
};
