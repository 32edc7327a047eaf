import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PosHubApi } from '../credentials/PosHubApi.credentials';

test('the credential sends the key as a bearer token', () => {
	assert.deepEqual(new PosHubApi().authenticate.properties.headers, { Authorization: '=Bearer {{$credentials.apiKey}}' });
});

test('the credential is tested against /v1/me on the hub URL', () => {
	const { request } = new PosHubApi().test;
	assert.equal(request.url, '/v1/me');
	assert.match(String(request.baseURL), /\$credentials\.hubUrl/);
});
