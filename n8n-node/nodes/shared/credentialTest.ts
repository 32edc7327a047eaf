import type { ICredentialTestFunctions, ICredentialsDecrypted, IDataObject, INodeCredentialTestResult } from 'n8n-workflow';

// The scopes that may use triggers, lookups and actions (DESIGN: automation for Zapier/n8n, admin manages the hub).
const USABLE_SCOPES = ['automation', 'admin'];

const MAKE_KEY = 'Create an API key with the "automation" scope in your hub and paste it into API Key.';

const failed = (message: string): INodeCredentialTestResult => ({ status: 'Error', message });

/**
 * The credential test, run by n8n's "Test" / "Save" of the POS Hub API credential.
 *
 * A function rather than the credential's declarative `test` request: the declarative test only
 * knows the status code (a 401 shows as a bare "UNAUTHORIZED", an unreachable hub as "ECONNREFUSED"
 * without the address) and cannot require a scope. n8n uses this function because the nodes name
 * it in `testedBy` and the credential has no `test` of its own (a credential `test` would win).
 */
export async function posHubApiTest(this: ICredentialTestFunctions, credential: ICredentialsDecrypted): Promise<INodeCredentialTestResult> {
	const data = (credential.data ?? {}) as IDataObject;
	const base = String(data.hubUrl ?? '').trim().replace(/\/+$/, '');
	if (!/^https?:\/\/[^/\s]+/i.test(base)) {
		return failed(`The Hub URL "${base}" is not a web address: enter it as your hub administrator gave it to you, e.g. https://hub.example.com`);
	}
	if (!String(data.apiKey ?? '').trim()) return failed(`The API Key is empty. ${MAKE_KEY}`);
	const url = `${base}/v1/me`;
	let response: { statusCode: number; body: unknown };
	try {
		response = await this.helpers.request({
			method: 'GET',
			uri: url,
			headers: { Authorization: `Bearer ${String(data.apiKey).trim()}`, Accept: 'application/json' },
			json: true,
			// Answer every status instead of throwing, so each gets its own message.
			simple: false,
			resolveWithFullResponse: true,
			timeout: 15000,
		});
	} catch (error) {
		const reason = (error as { code?: string }).code ?? (error as Error).message;
		return failed(`Could not reach the hub at ${url} (${reason}). Check the Hub URL and that this n8n can reach it.`);
	}
	let body = response.body as IDataObject | string | undefined;
	if (typeof body === 'string') {
		try {
			body = JSON.parse(body) as IDataObject;
		} catch {
			// Not JSON: handled below as "not a POS Hub".
		}
	}
	const problem = (body && typeof body === 'object' ? body : {}) as IDataObject;
	const detail = problem.detail ? ` (${String(problem.detail)})` : '';
	const status = response.statusCode;
	if (status === 401) {
		return failed(`The hub at ${base} did not accept this API key: it is mistyped, revoked or expired${detail}. ${MAKE_KEY}`);
	}
	if (status === 403) return failed(`The hub at ${base} refused this API key${detail}. ${MAKE_KEY}`);
	if (status === 404) return failed(`There is no POS Hub API at ${url} (404). Check the Hub URL: it is the hub's address without /v1.`);
	if (status >= 400) {
		return failed(`The hub at ${url} answered with status ${status}${problem.title ? `: ${String(problem.title)}` : ''}${detail}. Try again later or ask your hub administrator.`);
	}
	const scope = typeof problem.scope === 'string' ? problem.scope : undefined;
	if (!scope) return failed(`${url} answered, but not as a POS Hub. Check the Hub URL.`);
	if (!USABLE_SCOPES.includes(scope)) {
		return failed(
			`This API key has the "${scope}" scope, which cannot use triggers, dropdowns or actions: n8n needs the "automation" scope (or "admin"). ${MAKE_KEY}`,
		);
	}
	return { status: 'OK', message: 'Connection successful!' };
}
