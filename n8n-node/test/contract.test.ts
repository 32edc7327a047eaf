import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { IDataObject } from 'n8n-workflow';
import { couponFrom, menuItemFrom } from '../nodes/PosHub/PosHub.node';
import { PosHub } from '../nodes/PosHub/PosHub.node';
import { EVENTS, LOCATION_EVENTS, ORDER_STATUSES as TRIGGER_STATUSES, PosHubTrigger, SKU_EVENTS, STATUS_EVENTS } from '../nodes/PosHubTrigger/PosHubTrigger.node';
import { adjustStockFrom, cancelOrderFrom, createOrderFrom, ORDER_STATUSES, updateOrderFrom } from '../nodes/PosHub/orders';
import { fakeContext } from './context';

// The hub's JSON Schema contracts, beside this package in the repository.
const SCHEMAS = resolve(__dirname, '..', '..', '..', 'schemas');
const schema = (relative: string) => JSON.parse(readFileSync(resolve(SCHEMAS, relative), 'utf8'));
const here = existsSync(SCHEMAS) ? {} : { skip: 'schemas/ is not beside this package' };

const allKeys = (body: IDataObject) => Object.keys(body).sort();

test('a fully filled menu item only uses properties of the menu item contract', here, () => {
	const ctx = fakeContext({
		perItem: [{
			sku: 'A',
			menuFields: {
				name: 'n', description: 'd', category: 'c', priceAmount: '1', priceCurrency: 'EUR', available: true,
				imageUrl: 'https://x/y.jpg', modifiers: '[{"name":"m","options":[]}]', locationIds: ['loc_1'],
			},
		}],
	});
	const properties = Object.keys(schema('common/menu_item_input.json').properties);
	const sent = allKeys(menuItemFrom(ctx as never, 0));
	assert.deepEqual(sent.filter((key) => !properties.includes(key)), []);
	assert.equal(sent.length, 9);
});

test('a fully filled coupon only uses properties of the publish coupon contract', here, () => {
	const ctx = fakeContext({
		params: { connectionIds: ['con_1'] },
		perItem: [{
			code: 'ABC', discountType: 'fixed', amountOff: '2', currency: 'EUR',
			couponFields: { name: 'n', validFrom: '2025-01-01T00:00:00Z', validUntil: '2025-02-01T00:00:00Z', skus: ['A'], locationIds: ['l'], active: false },
		}],
	});
	const properties = Object.keys(schema('actions/publish_coupon.input.json').properties);
	const sent = allKeys(couponFrom(ctx as never, 0));
	assert.deepEqual(sent.filter((key) => !properties.includes(key)), []);
	assert.equal(sent.length, 10);
});

test('the package lists the compiled credential and nodes for n8n to load', () => {
	const pkg = JSON.parse(readFileSync(resolve(__dirname, '..', '..', 'package.json'), 'utf8'));
	for (const file of [...pkg.n8n.credentials, ...pkg.n8n.nodes]) {
		assert.ok(existsSync(resolve(__dirname, '..', '..', file)), `${file} is built`);
	}
});

const titleCase = (text: string) => text.replace(/\b([a-z])/g, (m) => m.toUpperCase());
const triggerNames = () =>
	readdirSync(resolve(SCHEMAS, 'triggers'))
		.filter((file) => file.endsWith('.output.json'))
		.map((file) => file.replace(/\.output\.json$/, ''));

test('the trigger node offers every trigger of the contracts, labelled with its title', here, () => {
	assert.deepEqual(EVENTS.map((event) => event.value).sort(), triggerNames().sort());
	for (const event of EVENTS) {
		assert.equal(event.name, titleCase(schema(`triggers/${event.value}.output.json`).title), event.value);
	}
});

test('the trigger node sends only the filters each trigger declares', here, () => {
	for (const { value } of EVENTS) {
		const declared = Object.keys(schema(`triggers/${value}.filters.json`).properties);
		const sent = [
			'connection_id',
			...(LOCATION_EVENTS.includes(value) ? ['location_id'] : []),
			...(SKU_EVENTS.includes(value) ? ['sku'] : []),
			...(STATUS_EVENTS.includes(value) ? ['status'] : []),
		];
		assert.deepEqual(sent.filter((name) => !declared.includes(name)), [], value);
	}
});

test('the trigger samples are the first example of each trigger contract (run `npm run samples` when this fails)', here, () => {
	const samples = JSON.parse(readFileSync(resolve(__dirname, '..', '..', 'nodes', 'PosHubTrigger', 'samples.json'), 'utf8'));
	assert.deepEqual(Object.keys(samples).sort(), triggerNames().sort());
	for (const name of triggerNames()) {
		assert.deepEqual(samples[name], schema(`triggers/${name}.output.json`).examples[0], name);
	}
});

test('both nodes use the shipped SVG icon, which the build copies beside the compiled node', () => {
	const root = resolve(__dirname, '..', '..');
	for (const [node, description] of [['PosHub', new PosHub().description], ['PosHubTrigger', new PosHubTrigger().description]] as const) {
		assert.equal(description.icon, 'file:posHub.svg');
		assert.match(readFileSync(resolve(root, 'nodes', node, 'posHub.svg'), 'utf8'), /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
		assert.ok(existsSync(resolve(root, 'dist', 'nodes', node, 'posHub.svg')), `dist/nodes/${node}/posHub.svg is built`);
	}
});

const fullLine = { sku: 'SAL-CAESAR', quantity: 2, modifiers: '[{"name":"Dressing","option":"Extra parmesan"}]', note: 'n' };

/** The body's keys (and its lines' and payment's) that the action's input contract does not declare. */
const undeclared = (action: string, body: IDataObject): string[] => {
	const contract = schema(`actions/${action}.input.json`);
	const outside = (keys: string[], declared: object) => keys.filter((key) => !Object.keys(declared).includes(key));
	const lines = (body.lines ?? []) as IDataObject[];
	return [
		...outside(allKeys(body), contract.properties),
		...lines.flatMap((line) => outside(allKeys(line), contract.properties.lines.items.properties).map((k) => `lines.${k}`)),
		...(body.payment ? outside(allKeys(body.payment as IDataObject), contract.properties.payment.properties).map((k) => `payment.${k}`) : []),
	];
};

test('a fully filled prepaid order only uses properties of the create order contract', here, () => {
	const ctx = fakeContext({
		perItem: [{
			channelOrderId: 'WEB-1', locationId: 'loc_1', lines: { line: [fullLine] }, paymentType: 'prepaid', paymentAmount: '19.80',
			paymentReference: 'pi_1', orderFields: { channel: 'web', currency: 'eur', customerKey: 'c', note: 'n', pickupAt: '2025-03-14T12:15:00Z' },
		}],
	});
	const body = createOrderFrom(ctx as never, 0);
	assert.deepEqual(undeclared('create_order', body), []);
	assert.equal(allKeys(body).length, 8);
	assert.equal(allKeys(body.payment as IDataObject).length, 4);
	assert.equal(allKeys((body.lines as IDataObject[])[0]).length, 4);
});

test('update, cancel and adjust stock bodies only use properties of their contracts', here, () => {
	const ctx = fakeContext({
		perItem: [{
			orderId: { mode: 'id', value: 'ord_1' }, lines: { line: [fullLine] }, cancelReason: 'r',
			locationId: 'loc_1', stockSku: 'A', stockChange: 'set_quantity', stockQuantity: 3, stockReason: 'r',
		}],
	});
	assert.deepEqual(undeclared('update_order', updateOrderFrom(ctx as never, 0)), []);
	assert.deepEqual(undeclared('cancel_order', cancelOrderFrom(ctx as never, 0)), []);
	const stock = adjustStockFrom(ctx as never, 0);
	assert.deepEqual(undeclared('adjust_stock', stock), []);
	assert.equal(allKeys(stock).length, 4);
});

test('the order statuses offered are those of the order contract', here, () => {
	const statuses = schema('common/order.json').properties.status.enum;
	assert.deepEqual(ORDER_STATUSES, statuses);
	assert.deepEqual(TRIGGER_STATUSES, schema('triggers/order_status_changed.output.json').properties.status.enum);
});
