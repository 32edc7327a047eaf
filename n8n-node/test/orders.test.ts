import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IDataObject } from 'n8n-workflow';
import { PosHub } from '../nodes/PosHub/PosHub.node';
import { PosHubTrigger } from '../nodes/PosHubTrigger/PosHubTrigger.node';
import { listSearch } from '../nodes/shared/hub';
import { fakeContext } from './context';

const execute = (ctx: object) => new PosHub().execute.call(ctx as never);
const poll = (ctx: object) => new PosHubTrigger().poll.call(ctx as never);
const order = { id: 'ord_1', name: 'Order WEB-1042 at Lobby fridge', channel_order_id: 'WEB-1042', status: 'received' };
const stock = { location_id: 'loc_1', sku: 'SAL-CAESAR', quantity: 14, previous_quantity: 2, is_low: false, threshold: 3 };

const createParams = {
	resource: 'order',
	operation: 'createOrder',
	channelOrderId: ' WEB-1042 ',
	locationId: 'loc_1',
	lines: { line: [{ sku: 'SAL-CAESAR', quantity: 2, modifiers: '[{"name":"Dressing","option":"Extra parmesan"}]', note: '' }, { sku: 'BWL-TERIYAKI', quantity: 1, modifiers: '[]' }] },
	paymentType: 'prepaid',
	paymentAmount: '28.70',
	paymentReference: 'pi_1',
	orderFields: { currency: 'eur', pickupAt: '2025-03-14T12:15:00Z' },
	idempotencyKey: '',
};

test('create order posts the order with its lines and prepaid payment', async () => {
	const ctx = fakeContext({ params: createParams, answers: [{ statusCode: 202, body: order }] });
	const result = await execute(ctx);
	assert.equal(ctx.requests[0].method, 'POST');
	assert.equal(ctx.requests[0].url, '/v1/actions/create_order');
	assert.deepEqual(ctx.requests[0].body, {
		channel_order_id: 'WEB-1042',
		location_id: 'loc_1',
		lines: [
			{ sku: 'SAL-CAESAR', quantity: 2, modifiers: [{ name: 'Dressing', option: 'Extra parmesan' }] },
			{ sku: 'BWL-TERIYAKI', quantity: 1 },
		],
		payment: { type: 'prepaid', amount: '28.70', currency: 'EUR', reference: 'pi_1' },
		pickup_at: '2025-03-14T12:15:00Z',
	});
	assert.deepEqual(result[0], [{ json: order, pairedItem: { item: 0 } }]);
});

test('a pay-at-POS order sends only the payment type', async () => {
	const ctx = fakeContext({ params: { ...createParams, paymentType: 'pay_at_pos' }, answers: [{ statusCode: 202, body: order }] });
	await execute(ctx);
	assert.deepEqual((ctx.requests[0].body as IDataObject).payment, { type: 'pay_at_pos' });
});

test('create order sends the same Idempotency-Key for the same order, another for another order', async () => {
	const ctx = fakeContext({ params: createParams, hub: () => ({ statusCode: 202, body: order }) });
	await execute(ctx);
	await execute(ctx);
	const other = fakeContext({ params: { ...createParams, channelOrderId: 'WEB-1043' }, answers: [{ statusCode: 202, body: order }] });
	await execute(other);
	const key = (ctx.requests[0].headers as IDataObject)['Idempotency-Key'];
	assert.match(String(key), /^n8n-create_order-[0-9a-f]{40}$/);
	assert.equal((ctx.requests[1].headers as IDataObject)['Idempotency-Key'], key);
	assert.notEqual((other.requests[0].headers as IDataObject)['Idempotency-Key'], key);
});

test('a refused order shows every field the hub did not accept', async () => {
	const ctx = fakeContext({
		params: createParams,
		answers: [{
			statusCode: 422,
			body: { title: 'Unprocessable Content', status: 422, errors: [{ path: '/lines/1/sku', message: "not in the catalog: 'BWL-TERIYAKI'" }] },
		}],
	});
	await assert.rejects(execute(ctx), (error: Error & { description?: string }) => {
		assert.match(String(error.description), /\/lines\/1\/sku: not in the catalog/);
		return true;
	});
});

test('update order sends the order picked from the list and its new lines, with no key unless one is given', async () => {
	const params = { resource: 'order', operation: 'updateOrder', orderId: { mode: 'list', value: 'ord_1' }, lines: { line: [{ sku: 'SAL-GREEK', quantity: 3 }] }, idempotencyKey: '' };
	const ctx = fakeContext({ params, answers: [{ statusCode: 202, body: order }] });
	await execute(ctx);
	assert.equal(ctx.requests[0].url, '/v1/actions/update_order');
	assert.deepEqual(ctx.requests[0].body, { order_id: 'ord_1', lines: [{ sku: 'SAL-GREEK', quantity: 3 }] });
	assert.equal((ctx.requests[0].headers as IDataObject)['Idempotency-Key'], undefined);
	const keyed = fakeContext({ params: { ...params, idempotencyKey: 'evt_7' }, answers: [{ statusCode: 202, body: order }] });
	await execute(keyed);
	assert.equal((keyed.requests[0].headers as IDataObject)['Idempotency-Key'], 'n8n-update_order-evt_7');
});

test('cancel order sends the order id and reason', async () => {
	const ctx = fakeContext({
		params: { resource: 'order', operation: 'cancelOrder', orderId: { mode: 'id', value: ' ord_1 ' }, cancelReason: 'Customer changed their mind' },
		answers: [{ statusCode: 202, body: { ...order, status: 'cancelled' } }],
	});
	const result = await execute(ctx);
	assert.deepEqual(ctx.requests[0].body, { order_id: 'ord_1', reason: 'Customer changed their mind' });
	assert.equal(result[0][0].json.status, 'cancelled');
});

test('an order past changing (409) fails the item with the hub message, or becomes its output with continue on fail', async () => {
	const conflict = { statusCode: 409, body: { title: 'Conflict', status: 409, detail: 'The order is completed already, so it cannot be cancelled.' } };
	const params = { resource: 'order', operation: 'cancelOrder', orderId: { mode: 'id', value: 'ord_1' } };
	await assert.rejects(execute(fakeContext({ params, answers: [conflict] })), /Conflict: The order is completed already/);
	const result = await execute(fakeContext({ params, answers: [conflict], continueOnFail: true }));
	assert.deepEqual(result[0][0].json, { error: 'Conflict: The order is completed already, so it cannot be cancelled.' });
});

test('get order reads the order by id', async () => {
	const ctx = fakeContext({ params: { resource: 'order', operation: 'getOrder', orderId: { mode: 'id', value: 'ord_1' } }, answers: [{ statusCode: 200, body: order }] });
	const result = await execute(ctx);
	assert.equal(ctx.requests[0].method, 'GET');
	assert.equal(ctx.requests[0].url, '/v1/orders/ord_1');
	assert.deepEqual(result[0][0].json, order);
});

test('find orders sends the filters and follows X-Next-Cursor up to the limit', async () => {
	const ctx = fakeContext({
		params: { resource: 'order', operation: 'findOrders', findFilters: { channelOrderId: 'WEB-1042', status: 'ready', q: '' }, limit: 3 },
		answers: [
			{ statusCode: 200, body: [order, { ...order, id: 'ord_2' }], headers: { 'x-next-cursor': 'c2' } },
			{ statusCode: 200, body: [{ ...order, id: 'ord_3' }], headers: { 'x-next-cursor': 'c3' } },
		],
	});
	const result = await execute(ctx);
	assert.deepEqual(ctx.requests.map((r) => r.qs), [
		{ channel_order_id: 'WEB-1042', status: 'ready', limit: 3 },
		{ channel_order_id: 'WEB-1042', status: 'ready', limit: 1, cursor: 'c2' },
	]);
	assert.deepEqual(result[0].map((item) => item.json.id), ['ord_1', 'ord_2', 'ord_3']);
});

test('find orders outputs nothing when no order matches', async () => {
	const ctx = fakeContext({ params: { resource: 'order', operation: 'findOrders', findFilters: { channelOrderId: 'NONE' }, limit: 50 }, answers: [{ statusCode: 200, body: [] }] });
	const result = await execute(ctx);
	assert.deepEqual(result[0], []);
});

test('adjust stock sends the change as a number and outputs the stock level', async () => {
	const ctx = fakeContext({
		params: { resource: 'stock', operation: 'adjustStock', locationId: 'loc_1', stockSku: 'SAL-CAESAR', stockChange: 'adjust_by', stockQuantity: -3, stockReason: 'Spoiled', idempotencyKey: '' },
		answers: [{ statusCode: 200, body: stock }],
	});
	const result = await execute(ctx);
	assert.equal(ctx.requests[0].url, '/v1/actions/adjust_stock');
	assert.deepEqual(ctx.requests[0].body, { location_id: 'loc_1', sku: 'SAL-CAESAR', adjust_by: -3, reason: 'Spoiled' });
	assert.equal((ctx.requests[0].headers as IDataObject)['Idempotency-Key'], undefined);
	assert.deepEqual(result[0][0].json, stock);
});

test('adjust stock can set the count after a recount', async () => {
	const ctx = fakeContext({
		params: { resource: 'stock', operation: 'adjustStock', locationId: 'loc_1', stockSku: 'SAL-CAESAR', stockChange: 'set_quantity', stockQuantity: 0 },
		answers: [{ statusCode: 200, body: stock }],
	});
	await execute(ctx);
	assert.deepEqual(ctx.requests[0].body, { location_id: 'loc_1', sku: 'SAL-CAESAR', set_quantity: 0 });
});

test('workflows without a resource stay menu and coupon workflows', async () => {
	const resource = new PosHub().description.properties.find((p) => p.name === 'resource');
	assert.equal(resource?.default, 'catalog');
	const ctx = fakeContext({ params: { operation: 'updateMenu', connectionIds: [] }, perItem: [{ sku: 'A' }], answers: [{ statusCode: 202, body: { id: 'run_1' } }] });
	await execute(ctx);
	assert.equal(ctx.requests[0].url, '/v1/actions/update_menu');
});

test('the order operations and their subtitles are offered', () => {
	const description = new PosHub().description;
	const orderOps = description.properties.find((p) => p.name === 'operation' && p.displayOptions?.show?.resource?.includes('order'));
	assert.deepEqual((orderOps?.options as Array<{ value: string }>).map((o) => o.value), ['createOrder', 'updateOrder', 'cancelOrder', 'getOrder', 'findOrders']);
	const expression = String(description.subtitle);
	const evaluate = new Function('$parameter', `return (${expression.replace(/^=\{\{/, '').replace(/\}\}$/, '')});`);
	assert.equal(evaluate({ operation: 'createOrder' }), 'Create Order');
	assert.equal(evaluate({ operation: 'findOrders' }), 'Find Orders');
	assert.equal(evaluate({ operation: 'adjustStock' }), 'Adjust Stock');
});

test('the order is picked from a searchable list of the hub orders', async () => {
	const orderId = new PosHub().description.properties.find((p) => p.name === 'orderId');
	assert.equal(orderId?.type, 'resourceLocator');
	assert.equal(orderId?.modes?.find((m) => m.type === 'list')?.typeOptions?.searchListMethod, 'searchOrders');
	const choice = { id: 'ord_1', name: 'WEB-1042 · Lobby fridge · received', status: 'received' };
	const ctx = fakeContext({ answers: [{ statusCode: 200, body: [choice], headers: { 'x-next-cursor': 'p2' } }] });
	const found = await listSearch.searchOrders.call(ctx as never, 'web-10');
	assert.equal(ctx.requests[0].url, '/v1/orders');
	assert.deepEqual(ctx.requests[0].qs, { q: 'web-10' });
	assert.deepEqual(found, { results: [{ name: 'WEB-1042 · Lobby fridge · received', value: 'ord_1' }], paginationToken: 'p2' });
});

test('the order status trigger polls with the location, connection and status filters', async () => {
	const watching = JSON.stringify({ event: 'order_status_changed', filters: { location_id: 'loc_1', status: 'ready' } });
	const ctx = fakeContext({
		params: { event: 'order_status_changed', locationId: 'loc_1', connectionId: '', sku: 'IGNORED', orderStatus: 'ready' },
		staticData: { sinceId: 7, watching },
		answers: [{ statusCode: 200, body: [{ id: 8, type: 'order_status_changed', status: 'ready' }] }],
	});
	const result = await poll(ctx);
	assert.equal(ctx.requests[0].url, '/v1/triggers/order_status_changed');
	assert.deepEqual(ctx.requests[0].qs, { location_id: 'loc_1', status: 'ready', since_id: 7, limit: 500 });
	assert.deepEqual(result?.[0].map((item) => item.json.id), [8]);
});

test('a test run of the order status trigger with no change yet shows the contract sample', async () => {
	const ctx = fakeContext({ mode: 'manual', params: { event: 'order_status_changed', locationId: '', connectionId: '', orderStatus: '' }, answers: [{ statusCode: 200, body: [] }] });
	const result = await poll(ctx);
	const sample = result?.[0][0].json as IDataObject;
	assert.equal(sample._sample, true);
	assert.equal(sample.type, 'order_status_changed');
	assert.equal((sample.order as IDataObject).id, 'ord_5c6d7e8f9a0b1c2d');
});

test('the status filter offers every order status and "All Statuses"', () => {
	const status = new PosHubTrigger().description.properties.find((p) => p.name === 'orderStatus');
	assert.equal(status?.default, '');
	assert.deepEqual((status?.options as Array<{ value: string }>).map((o) => o.value), ['', 'received', 'sent', 'accepted', 'rejected', 'ready', 'completed', 'cancelled']);
	assert.deepEqual(status?.displayOptions, { show: { event: ['order_status_changed'] } });
});
