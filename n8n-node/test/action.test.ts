import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IDataObject } from 'n8n-workflow';
import { PosHub } from '../nodes/PosHub/PosHub.node';
import { clock } from '../nodes/shared/wait';
import { fakeContext } from './context';

const run = { id: 'run_1', status: 'pending', deliveries: [] };
const execute = (ctx: object) => new PosHub().execute.call(ctx as never);

test('update menu sends every input item as one menu update with nested prices', async () => {
	const ctx = fakeContext({
		params: { operation: 'updateMenu', connectionIds: ['con_1'] },
		perItem: [
			{ sku: ' SAL-CAESAR ', menuFields: { priceAmount: '9.20', priceCurrency: 'eur', available: true } },
			{ sku: 'BWL-TERIYAKI', menuFields: { available: false, name: '' } },
		],
		items: [{ json: {} }, { json: {} }],
		answers: [{ statusCode: 202, body: run }],
	});
	const result = await execute(ctx);
	assert.equal(ctx.requests[0].method, 'POST');
	assert.equal(ctx.requests[0].url, '/v1/actions/update_menu');
	assert.deepEqual(ctx.requests[0].body, {
		items: [
			{ sku: 'SAL-CAESAR', price: { amount: '9.20', currency: 'EUR' }, available: true },
			{ sku: 'BWL-TERIYAKI', available: false },
		],
		connection_ids: ['con_1'],
	});
	assert.deepEqual(result[0][0].json, run);
});

test('publish coupon sends a fixed discount as money and leaves out empty fields', async () => {
	const ctx = fakeContext({
		params: { operation: 'publishCoupon', connectionIds: [] },
		perItem: [{ code: 'WELCOME2', discountType: 'fixed', amountOff: '2.00', currency: 'EUR', couponFields: { skus: ['SAL-CAESAR'], name: '' } }],
		answers: [{ statusCode: 202, body: run }],
	});
	await execute(ctx);
	assert.deepEqual(ctx.requests[0].body, {
		code: 'WELCOME2', discount_type: 'fixed', amount_off: { amount: '2.00', currency: 'EUR' }, skus: ['SAL-CAESAR'],
	});
});

test('a rejected body lists every field the hub did not accept', async () => {
	const ctx = fakeContext({
		params: { operation: 'publishCoupon', connectionIds: [] },
		perItem: [{ code: 'X', discountType: 'percent', percentOff: '150' }],
		answers: [{
			statusCode: 422,
			body: {
				title: 'Invalid request', status: 422, detail: 'The request does not match the contract.',
				errors: [{ path: '/code', message: 'too short' }, { path: '/percent_off', message: 'at most 100' }],
			},
		}],
	});
	await assert.rejects(execute(ctx), (error: Error & { description?: string; httpCode?: string }) => {
		assert.equal(error.message, 'Invalid request: The request does not match the contract.');
		assert.match(String(error.description), /\/code: too short\n\/percent_off: at most 100/);
		assert.equal(error.httpCode, '422');
		return true;
	});
});

test('a rejected API key asks to update the credential', async () => {
	const ctx = fakeContext({
		params: { operation: 'publishCoupon', connectionIds: [] },
		perItem: [{ code: 'ABC', discountType: 'percent', percentOff: '10' }],
		answers: [{ statusCode: 401, body: { title: 'Unauthorized', status: 401 } }],
	});
	await assert.rejects(execute(ctx), (error: Error & { description?: string }) => {
		assert.equal(error.message, 'The hub did not accept the API key');
		assert.match(String(error.description), /credential/);
		return true;
	});
});

test('a throttled request says how long the hub asked to wait', async () => {
	const ctx = fakeContext({
		params: { operation: 'publishCoupon', connectionIds: [] },
		perItem: [{ code: 'ABC', discountType: 'percent', percentOff: '10' }],
		answers: [{ statusCode: 429, body: { title: 'Too Many Requests', status: 429 }, headers: { 'retry-after': '30' } }],
	});
	await assert.rejects(execute(ctx), /try again in 30 seconds/);
});

test('with continue on fail an error becomes an output item', async () => {
	const ctx = fakeContext({
		params: { operation: 'publishCoupon', connectionIds: [] },
		perItem: [{ code: 'ABC', discountType: 'percent', percentOff: '10' }],
		continueOnFail: true,
		answers: [{ statusCode: 409, body: { title: 'Conflict', status: 409, detail: 'Idempotency key reused' } }],
	});
	const result = await execute(ctx);
	assert.deepEqual(result[0][0].json, { error: 'Conflict: Idempotency key reused' });
});

const propertyOf = (name: string) => {
	const found = new PosHub().description.properties.find((p) => p.name === name);
	assert.ok(found, name);
	return found;
};
const optionOf = (collection: string, name: string) => (propertyOf(collection).options as Array<{ name: string; description?: string; default?: unknown }>).find((o) => o.name === name);

test('update menu with only Price Amount sends the price without currency, so the hub takes its own', async () => {
	const ctx = fakeContext({
		params: { operation: 'updateMenu', connectionIds: [] },
		perItem: [{ sku: 'SAL-CAESAR', menuFields: { priceAmount: '9.20' } }],
		answers: [{ statusCode: 202, body: run }],
	});
	await execute(ctx);
	assert.deepEqual(ctx.requests[0].body, { items: [{ sku: 'SAL-CAESAR', price: { amount: '9.20' } }] });
	const currency = optionOf('menuFields', 'priceCurrency');
	assert.equal(currency?.default, '');
	assert.match(String(currency?.description), /hub's currency/);
});

test("publish coupon sends the date picker's date-times unchanged and says they are in the hub's time zone", async () => {
	const ctx = fakeContext({
		params: { operation: 'publishCoupon', connectionIds: [] },
		perItem: [{ code: 'LUNCH10', discountType: 'percent', percentOff: '10', couponFields: { validFrom: '2026-12-01T00:00:00', validUntil: '2026-12-31T23:00:00' } }],
		answers: [{ statusCode: 202, body: run }],
	});
	await execute(ctx);
	assert.equal((ctx.requests[0].body as IDataObject).valid_from, '2026-12-01T00:00:00');
	assert.equal((ctx.requests[0].body as IDataObject).valid_until, '2026-12-31T23:00:00');
	for (const name of ['validFrom', 'validUntil']) {
		assert.match(String(optionOf('couponFields', name)?.description), /without a time zone .* hub's time zone/);
	}
});

test('version 2 enters the coupon code with the coupon dropdown (list search) or typed; version 1 keeps its text field', async () => {
	const description = new PosHub().description;
	assert.deepEqual(description.version, [1, 2]);
	assert.equal(description.defaultVersion, 2);
	const code = propertyOf('couponCode');
	assert.equal(code.type, 'resourceLocator');
	const list = code.modes?.find((mode) => mode.type === 'list');
	assert.equal(list?.typeOptions?.searchListMethod, 'searchCoupons');
	assert.ok(new PosHub().methods.listSearch.searchCoupons);

	const v2 = fakeContext({
		typeVersion: 2,
		params: { operation: 'publishCoupon', connectionIds: [] },
		perItem: [{ couponCode: { __rl: true, mode: 'list', value: 'LUNCH10' }, discountType: 'percent', percentOff: '10' }],
		answers: [{ statusCode: 202, body: run }],
	});
	await execute(v2);
	assert.equal((v2.requests[0].body as IDataObject).code, 'LUNCH10');

	const v1 = fakeContext({
		params: { operation: 'publishCoupon', connectionIds: [] },
		perItem: [{ code: ' OLD10 ', discountType: 'percent', percentOff: '10' }],
		answers: [{ statusCode: 202, body: run }],
	});
	await execute(v1);
	assert.equal((v1.requests[0].body as IDataObject).code, 'OLD10');
});

test('the subtitle shows the operation label, not its value', () => {
	const expression = String(new PosHub().description.subtitle);
	const evaluate = new Function('$parameter', `return (${expression.replace(/^=\{\{/, '').replace(/\}\}$/, '')});`);
	assert.equal(evaluate({ operation: 'publishCoupon' }), 'Publish Coupon');
	assert.equal(evaluate({ operation: 'updateMenu' }), 'Update Menu Item');
});

// "Wait for the POS", with a fake clock: sleeping advances it, so nothing really waits.
const delivery = (status: string, extra: object = {}) => ({
	connection_id: 'con_1', connection_name: 'Byte fridges Berlin', status, attempts: 1, last_error: null, next_attempt_at: null, changes: 1, ...extra,
});
const actionRun = (status: string, deliveries: object[], summary = status) => ({
	id: 'run_9a8b', action: 'publish_coupon', status, created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z', summary, deliveries,
});

function withFakeClock(): { sleeps: number[]; restore: () => void } {
	const original = { ...clock };
	let now = 0;
	const sleeps: number[] = [];
	clock.now = () => now;
	clock.sleep = async (ms: number) => {
		sleeps.push(ms);
		now += ms;
	};
	return { sleeps, restore: () => Object.assign(clock, original) };
}

const waitingCoupon = (answers: Array<{ statusCode: number; body: unknown }>, waitTimeout = 60, continueOnFail = false) =>
	fakeContext({
		params: { operation: 'publishCoupon', connectionIds: [], waitForPos: true, waitTimeout },
		perItem: [{ code: 'LUNCH10', discountType: 'percent', percentOff: '10' }],
		answers,
		continueOnFail,
	});

test('"Wait for the POS" is off by default: the step answers with the queued run', () => {
	assert.equal(propertyOf('waitForPos').default, false);
	assert.deepEqual(propertyOf('waitTimeout').displayOptions, { show: { waitForPos: [true] } });
});

test('waiting for the POS polls the action run until it ends and returns the ended run', async () => {
	const fake = withFakeClock();
	try {
		const done = actionRun('succeeded', [delivery('succeeded')], '1 of 1 connection updated');
		const ctx = waitingCoupon([
			{ statusCode: 202, body: actionRun('pending', [delivery('pending')]) },
			{ statusCode: 200, body: actionRun('in_progress', [delivery('in_progress')]) },
			{ statusCode: 200, body: done },
		]);
		const result = await execute(ctx);
		assert.deepEqual(result[0][0].json, done);
		assert.deepEqual(ctx.requests.slice(1).map((r) => `${r.method} ${r.url}`), ['GET /v1/actions/run_9a8b', 'GET /v1/actions/run_9a8b']);
		assert.deepEqual(fake.sleeps, [1000, 2000]);
	} finally {
		fake.restore();
	}
});

test('a dead delivery fails the step with the connection name and the vendor message', async () => {
	const fake = withFakeClock();
	try {
		const ctx = waitingCoupon([
			{ statusCode: 202, body: actionRun('in_progress', [delivery('in_progress')]) },
			{
				statusCode: 200,
				body: actionRun('partially_failed', [
					delivery('succeeded', { connection_name: 'Square – Munich kiosks' }),
					delivery('dead', { connection_name: 'Simphony – Hamburg canteen', attempts: 8, last_error: 'permanent [401]: the POS rejected the hub\'s credentials' }),
				], '1 of 2 connections updated; 1 failed'),
			},
		]);
		await assert.rejects(execute(ctx), (error: Error & { description?: string }) => {
			assert.equal(error.message, "The POS did not take the change: Simphony – Hamburg canteen: permanent [401]: the POS rejected the hub's credentials");
			assert.match(String(error.description), /run_9a8b/);
			return true;
		});
	} finally {
		fake.restore();
	}
});

test('waiting stops at the timeout with the run id and how to check it', async () => {
	const fake = withFakeClock();
	try {
		const pending = { statusCode: 200, body: actionRun('pending', [delivery('pending', { last_error: 'transient: POS timed out' })], '0 of 1 connection updated; 1 queued') };
		const ctx = waitingCoupon([{ statusCode: 202, body: pending.body }, ...Array.from({ length: 20 }, () => pending)], 30);
		await assert.rejects(execute(ctx), (error: Error & { description?: string }) => {
			assert.match(error.message, /did not finish within 30 seconds \(run run_9a8b/);
			assert.match(String(error.description), /GET \/v1\/actions\/run_9a8b/);
			return true;
		});
		assert.equal(fake.sleeps.reduce((a, b) => a + b, 0), 30000);
	} finally {
		fake.restore();
	}
});

test('with continue on fail a dead delivery becomes an output item with its message', async () => {
	const fake = withFakeClock();
	try {
		const ctx = waitingCoupon([{ statusCode: 202, body: actionRun('failed', [delivery('dead', { last_error: 'coupon codes must be upper case' })]) }], 60, true);
		const result = await execute(ctx);
		assert.equal(result[0][0].json.error, 'The POS did not take the change: Byte fridges Berlin: coupon codes must be upper case');
		assert.deepEqual(fake.sleeps, []);
	} finally {
		fake.restore();
	}
});
