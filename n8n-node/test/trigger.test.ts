import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PosHubTrigger } from '../nodes/PosHubTrigger/PosHubTrigger.node';
import { events, fakeContext } from './context';

const poll = (ctx: object) => new PosHubTrigger().poll.call(ctx as never);
const params = { event: 'low_stock', locationId: 'loc_1', connectionId: '', sku: '' };
const watching = JSON.stringify({ event: 'low_stock', filters: { location_id: 'loc_1' } });

test('the first activation takes the newest event as the cursor and emits nothing', async () => {
	const ctx = fakeContext({ params, answers: [{ statusCode: 200, body: events(41) }] });
	assert.equal(await poll(ctx), null);
	assert.equal(ctx.staticData.sinceId, 41);
	assert.deepEqual(ctx.requests[0].qs, { location_id: 'loc_1', limit: 1 });
});

test('a poll asks for events after the cursor with the chosen filters', async () => {
	const ctx = fakeContext({ params, staticData: { sinceId: 41, watching }, answers: [{ statusCode: 200, body: [] }] });
	await poll(ctx);
	assert.equal(ctx.requests[0].url, '/v1/triggers/low_stock');
	assert.equal(ctx.requests[0].baseURL, 'https://hub.test');
	assert.deepEqual(ctx.requests[0].qs, { location_id: 'loc_1', since_id: 41, limit: 500 });
	assert.deepEqual(ctx.credentialTypes, ['posHubApi']);
});

test('a successful poll emits new events oldest first and advances the cursor to the newest', async () => {
	const ctx = fakeContext({ params, staticData: { sinceId: 41, watching }, answers: [{ statusCode: 200, body: events(44, 43, 42) }] });
	const result = await poll(ctx);
	assert.deepEqual(result?.[0].map((item) => item.json.id), [42, 43, 44]);
	assert.equal(ctx.staticData.sinceId, 44);
});

test('a failed poll leaves the cursor where it was', async () => {
	const ctx = fakeContext({
		params,
		staticData: { sinceId: 41, watching },
		answers: [{ statusCode: 503, body: { title: 'Service Unavailable', status: 503 } }],
	});
	await assert.rejects(poll(ctx), /Service Unavailable/);
	assert.equal(ctx.staticData.sinceId, 41);
});

test('a poll that fails on a later page leaves the cursor where it was', async () => {
	const fullPage = events(...Array.from({ length: 500 }, (_, i) => 1541 - i));
	const ctx = fakeContext({ params, staticData: { sinceId: 41, watching }, answers: [{ statusCode: 200, body: fullPage }, new Error('socket hang up')] });
	await assert.rejects(poll(ctx), /Could not reach the hub/);
	assert.equal(ctx.staticData.sinceId, 41);
});

test('a full page is followed by the next older page before the cursor moves', async () => {
	const fullPage = events(...Array.from({ length: 500 }, (_, i) => 1541 - i));
	const ctx = fakeContext({
		params,
		staticData: { sinceId: 40, watching },
		answers: [{ statusCode: 200, body: fullPage }, { statusCode: 200, body: events(41) }],
	});
	const result = await poll(ctx);
	assert.equal(ctx.requests[1].qs?.before_id, 1042);
	assert.equal(result?.[0].length, 501);
	assert.equal(result?.[0][0].json.id, 41);
	assert.equal(ctx.staticData.sinceId, 1541);
});

test('a manual test run returns the newest event without touching the cursor', async () => {
	const ctx = fakeContext({ params, mode: 'manual', staticData: { sinceId: 7, watching }, answers: [{ statusCode: 200, body: events(99) }] });
	const result = await poll(ctx);
	assert.deepEqual(result?.[0].map((item) => item.json.id), [99]);
	assert.equal(ctx.requests[0].qs?.limit, 1);
	assert.equal(ctx.staticData.sinceId, 7);
});

test('changing the event or filters restarts the cursor from the newest event', async () => {
	const ctx = fakeContext({
		params: { ...params, event: 'pos_offline' },
		staticData: { sinceId: 41, watching },
		answers: [{ statusCode: 200, body: [{ id: 5 }] }],
	});
	assert.equal(await poll(ctx), null);
	assert.equal(ctx.staticData.sinceId, 5);
});

test('the SKU filter is only sent for triggers that know SKUs', async () => {
	const ctx = fakeContext({ params: { ...params, event: 'pos_offline', sku: 'SAL-1' }, answers: [{ statusCode: 200, body: [] }] });
	await poll(ctx);
	assert.deepEqual(ctx.requests[0].qs, { location_id: 'loc_1', limit: 1 });
});
