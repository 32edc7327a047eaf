import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PosHubTrigger } from '../nodes/PosHubTrigger/PosHubTrigger.node';
import SAMPLES from '../nodes/PosHubTrigger/samples.json';
import { events, fakeContext, range, triggerHub } from './context';

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
	const hub = triggerHub(range(42, 1541));
	const ctx = fakeContext({ params, staticData: { sinceId: 41, watching }, hub: (request) => (ctx.requests.length > 1 ? new Error('socket hang up') : hub(request)) });
	await assert.rejects(poll(ctx), /Could not reach the hub/);
	assert.equal(ctx.staticData.sinceId, 41);
});

test('a full page is followed by the page after its highest id, with the same filters', async () => {
	const ctx = fakeContext({ params, staticData: { sinceId: 41, watching }, hub: triggerHub(range(42, 600)) });
	await poll(ctx);
	assert.deepEqual(
		ctx.requests.map((request) => request.qs),
		[
			{ location_id: 'loc_1', since_id: 41, limit: 500 },
			{ location_id: 'loc_1', since_id: 541, limit: 500 },
		],
	);
});

test('a backlog of several pages is emitted in one poll, oldest first, each event once', async () => {
	const ctx = fakeContext({ params, staticData: { sinceId: 41, watching }, hub: triggerHub(range(1, 1275)) });
	const result = await poll(ctx);
	assert.deepEqual(result?.[0].map((item) => item.json.id), range(42, 1275));
	assert.equal(ctx.staticData.sinceId, 1275);
});

test('a poll emits at most 5,000 events and the next polls drain the rest of the backlog without loss', async () => {
	// The outage of issue 9: the cursor at 143 and 10,200 purchases (144 to 10343) waiting.
	const ctx = fakeContext({ params, staticData: { sinceId: 143, watching }, hub: triggerHub(range(1, 10343)) });
	const emitted: number[][] = [];
	for (let execution = 0; execution < 4; execution += 1) {
		const result = await poll(ctx);
		emitted.push(result ? result[0].map((item) => Number(item.json.id)) : []);
	}
	assert.deepEqual(emitted.map((ids) => ids.length), [5000, 5000, 200, 0]);
	assert.deepEqual(emitted.flat(), range(144, 10343));
	assert.equal(ctx.staticData.sinceId, 10343);
});

test('the cursor moves only over the events a poll emitted', async () => {
	const ctx = fakeContext({ params, staticData: { sinceId: 143, watching }, hub: triggerHub(range(1, 10343)) });
	const result = await poll(ctx);
	assert.equal(ctx.staticData.sinceId, Math.max(...(result?.[0] ?? []).map((item) => Number(item.json.id))));
	assert.equal(ctx.staticData.sinceId, 5143);
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

test('the location filter is only sent for triggers that happen at a location', async () => {
	const ctx = fakeContext({ params: { ...params, event: 'connection_failing', connectionId: 'con_1' }, answers: [{ statusCode: 200, body: [] }] });
	await poll(ctx);
	assert.equal(ctx.requests[0].url, '/v1/triggers/connection_failing');
	assert.deepEqual(ctx.requests[0].qs, { connection_id: 'con_1', limit: 1 });
});

test('a manual test run with no matching event shows the contract sample, marked as a sample', async () => {
	const ctx = fakeContext({ params, mode: 'manual', staticData: { sinceId: 7, watching }, answers: [{ statusCode: 200, body: [] }] });
	const result = await poll(ctx);
	const sample = result?.[0][0].json;
	assert.equal(sample?._sample, true);
	assert.equal(sample?.type, 'low_stock');
	assert.deepEqual({ ...sample, _sample: undefined }, { ...(SAMPLES as Record<string, object>).low_stock, _sample: undefined });
	assert.equal(ctx.staticData.sinceId, 7);
});

test('an active workflow never emits the sample', async () => {
	const first = fakeContext({ params, answers: [{ statusCode: 200, body: [] }] });
	assert.equal(await poll(first), null);
	const next = fakeContext({ params, staticData: { sinceId: 0, watching }, answers: [{ statusCode: 200, body: [] }] });
	assert.equal(await poll(next), null);
});

test('the trigger subtitle shows the event label, not its value', () => {
	const expression = String(new PosHubTrigger().description.subtitle);
	const evaluate = new Function('$parameter', `return (${expression.replace(/^=\{\{/, '').replace(/\}\}$/, '')});`);
	assert.equal(evaluate({ event: 'low_stock' }), 'Low Stock');
	assert.equal(evaluate({ event: 'pos_online' }), 'POS Back Online');
});
