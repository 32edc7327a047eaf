import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadOptions } from '../nodes/shared/hub';
import { fakeContext } from './context';

test('locations load from the hub lookup, labelled by name with the id as value', async () => {
	const ctx = fakeContext({ answers: [{ statusCode: 200, body: [{ id: 'loc_1', name: 'Fridge 12' }] }] });
	const options = await loadOptions.getLocations.call(ctx as never);
	assert.equal(ctx.requests[0].url, '/v1/locations');
	assert.deepEqual(options, [{ name: 'Fridge 12', value: 'loc_1', description: 'loc_1' }]);
});

test('connections load from the hub lookup with their POS type', async () => {
	const ctx = fakeContext({ answers: [{ statusCode: 200, body: [{ id: 'con_1', name: 'Byte fridges', type: 'byte' }] }] });
	const options = await loadOptions.getConnections.call(ctx as never);
	assert.equal(ctx.requests[0].url, '/v1/connections');
	assert.deepEqual(options, [{ name: 'Byte fridges', value: 'con_1', description: 'byte con_1' }]);
});

test('menu items load with the SKU as the value', async () => {
	const ctx = fakeContext({ answers: [{ statusCode: 200, body: [{ id: 'itm_1', sku: 'SAL-CAESAR', name: 'Caesar salad' }] }] });
	const options = await loadOptions.getMenuItems.call(ctx as never);
	assert.equal(ctx.requests[0].url, '/v1/menu-items');
	assert.deepEqual(options, [{ name: 'Caesar salad', value: 'SAL-CAESAR', description: 'SAL-CAESAR' }]);
});

test('a dropdown that cannot load says why', async () => {
	const ctx = fakeContext({ answers: [{ statusCode: 403, body: { title: 'Forbidden', status: 403, detail: 'This key has the pos scope.' } }] });
	await assert.rejects(loadOptions.getLocations.call(ctx as never), /Forbidden: This key has the pos scope\./);
});
