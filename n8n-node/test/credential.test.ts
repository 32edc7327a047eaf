import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PosHubApi } from '../credentials/PosHubApi.credentials';
import { PosHub } from '../nodes/PosHub/PosHub.node';
import { PosHubTrigger } from '../nodes/PosHubTrigger/PosHubTrigger.node';
import { posHubApiTest } from '../nodes/shared/credentialTest';

test('the credential sends the key as a bearer token', () => {
	assert.deepEqual(new PosHubApi().authenticate.properties.headers, { Authorization: '=Bearer {{$credentials.apiKey}}' });
});

test('both nodes test the credential with posHubApiTest, and no declarative test takes precedence', () => {
	// n8n uses a credential's own `test` before any node's `testedBy`.
	assert.equal((new PosHubApi() as { test?: unknown }).test, undefined);
	for (const node of [new PosHub(), new PosHubTrigger()]) {
		assert.deepEqual(node.description.credentials, [{ name: 'posHubApi', required: true, testedBy: 'posHubApiTest' }]);
		assert.equal(node.methods.credentialTest.posHubApiTest, posHubApiTest);
	}
});

type Answer = { statusCode: number; body?: unknown } | Error;
const me = (scope: string) => ({ hub: { id: 'hub_1', name: 'Demo', timezone: 'Europe/Berlin', currency: 'EUR' }, scope, connection_id: null, key_id: 'key_1' });

async function testCredential(answer: Answer, data: object = { hubUrl: 'https://hub.test/', apiKey: 'pk_live_x' }) {
	const requests: Array<Record<string, unknown>> = [];
	const ctx = {
		helpers: {
			request: async (options: Record<string, unknown>) => {
				requests.push(options);
				if (answer instanceof Error) throw answer;
				return { headers: {}, ...answer };
			},
		},
	};
	const result = await posHubApiTest.call(ctx as never, { id: '1', name: 'POS Hub', type: 'posHubApi', data } as never);
	return { result, requests };
}

test('an automation or admin key passes, asking GET /v1/me with the key as bearer token', async () => {
	const { result, requests } = await testCredential({ statusCode: 200, body: me('automation') });
	assert.equal(result.status, 'OK');
	assert.equal(requests[0].uri, 'https://hub.test/v1/me');
	assert.deepEqual(requests[0].headers, { Authorization: 'Bearer pk_live_x', Accept: 'application/json' });
	assert.equal((await testCredential({ statusCode: 200, body: me('admin') })).result.status, 'OK');
});

test('a pos-scope key fails and says which scope is missing and what to do', async () => {
	const { result } = await testCredential({ statusCode: 200, body: me('pos') });
	assert.equal(result.status, 'Error');
	assert.match(result.message, /"pos" scope/);
	assert.match(result.message, /needs the "automation" scope/);
	assert.match(result.message, /Create an API key with the "automation" scope/);
});

test('a wrong key says the hub did not accept it and what to do, not a bare UNAUTHORIZED', async () => {
	const { result } = await testCredential({ statusCode: 401, body: { title: 'Unauthorized', status: 401, detail: 'Unknown API key.' } });
	assert.equal(result.status, 'Error');
	assert.match(result.message, /^The hub at https:\/\/hub\.test did not accept this API key/);
	assert.match(result.message, /Unknown API key\./);
	assert.match(result.message, /Create an API key/);
});

test('an unreachable hub names the URL it tried', async () => {
	const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:443'), { code: 'ECONNREFUSED' });
	const { result } = await testCredential(refused);
	assert.equal(result.status, 'Error');
	assert.match(result.message, /Could not reach the hub at https:\/\/hub\.test\/v1\/me \(ECONNREFUSED\)/);
});

test('a URL that is not a hub, or not a URL, says to check the Hub URL', async () => {
	assert.match((await testCredential({ statusCode: 404, body: '<html>' })).result.message, /no POS Hub API at https:\/\/hub\.test\/v1\/me/);
	assert.match((await testCredential({ statusCode: 200, body: '<html></html>' })).result.message, /not as a POS Hub/);
	assert.match((await testCredential({ statusCode: 200 }, { hubUrl: 'hub.test', apiKey: 'k' })).result.message, /not a web address/);
});
