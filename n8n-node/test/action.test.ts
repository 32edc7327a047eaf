import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PosHub } from '../nodes/PosHub/PosHub.node';
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
