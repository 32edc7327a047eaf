/** A stand-in for the n8n function context: scripted hub answers and recorded requests. */
import type { IDataObject, IHttpRequestOptions, INodeExecutionData } from 'n8n-workflow';

export interface HubAnswer {
	statusCode: number;
	body?: unknown;
	headers?: Record<string, string>;
}

export interface FakeContext {
	requests: IHttpRequestOptions[];
	credentialTypes: string[];
	staticData: IDataObject;
	[key: string]: any;
}

interface Options {
	params?: Record<string, unknown>;
	perItem?: Array<Record<string, unknown>>;
	answers?: Array<HubAnswer | Error>;
	/** Answers every request once the scripted answers are used up. */
	hub?: (request: IHttpRequestOptions) => HubAnswer | Error;
	mode?: 'manual' | 'trigger';
	staticData?: IDataObject;
	items?: INodeExecutionData[];
	continueOnFail?: boolean;
	/** The node's typeVersion (PosHub has 1 and 2). */
	typeVersion?: number;
}

export function fakeContext(options: Options = {}): FakeContext {
	const answers = [...(options.answers ?? [])];
	const ctx: FakeContext = {
		requests: [],
		credentialTypes: [],
		staticData: options.staticData ?? {},
		getNode: () => ({ id: 'n1', name: 'POS Hub', type: 'n8n-nodes-pos-hub.posHub', typeVersion: options.typeVersion ?? 1, position: [0, 0], parameters: {} }),
		getMode: () => options.mode ?? 'trigger',
		getCredentials: async () => ({ hubUrl: 'https://hub.test/', apiKey: 'key' }),
		getWorkflowStaticData: () => ctx.staticData,
		getInputData: () => options.items ?? [{ json: {} }],
		continueOnFail: () => options.continueOnFail ?? false,
		getNodeParameter: (name: string, indexOrFallback?: unknown, fallback?: unknown) => {
			const index = typeof indexOrFallback === 'number' ? indexOrFallback : 0;
			const fallbackValue = typeof indexOrFallback === 'number' ? fallback : indexOrFallback;
			const perItem = options.perItem?.[index] ?? {};
			if (name in perItem) return perItem[name];
			if (options.params && name in options.params) return options.params[name];
			if (fallbackValue !== undefined) return fallbackValue;
			throw new Error(`no parameter ${name}`);
		},
		helpers: {
			returnJsonArray: (data: IDataObject | IDataObject[]) => (Array.isArray(data) ? data : [data]).map((json) => ({ json })),
			httpRequestWithAuthentication: async (credentialType: string, request: IHttpRequestOptions) => {
				ctx.credentialTypes.push(credentialType);
				ctx.requests.push(request);
				const answer = answers.length ? answers.shift() : options.hub?.(request);
				if (!answer) throw new Error(`unexpected request ${request.method} ${request.url}`);
				if (answer instanceof Error) throw answer;
				return { headers: {}, ...answer };
			},
		},
	};
	return ctx;
}

export const events = (...ids: number[]): IDataObject[] =>
	ids.map((id) => ({ id, type: 'low_stock', occurred_at: '2025-03-14T12:31:08Z', sku: 'SAL-CAESAR', quantity: 2, threshold: 3 }));

/** A hub holding these low_stock event ids, paging them as GET /v1/triggers/<name> does. */
export const triggerHub =
	(ids: number[]) =>
	(request: IHttpRequestOptions): HubAnswer => {
		const qs = (request.qs ?? {}) as IDataObject;
		const limit = Number(qs.limit ?? 100);
		const above = qs.since_id === undefined ? -Infinity : Number(qs.since_id);
		const below = qs.before_id === undefined ? Infinity : Number(qs.before_id);
		const matching = ids.filter((id) => id > above && id < below).sort((a, b) => a - b);
		// since_id alone answers the oldest page after it; otherwise the newest page; both newest first.
		const forward = qs.since_id !== undefined && qs.before_id === undefined;
		const page = forward ? matching.slice(0, limit) : matching.slice(-limit);
		return { statusCode: 200, body: events(...page.reverse()) };
	};

export const range = (first: number, last: number): number[] => Array.from({ length: last - first + 1 }, (_, i) => first + i);
