import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PosHubTrigger } from '../nodes/PosHubTrigger/PosHubTrigger.node';
import { listSearch, loadOptions, MAX_LOOKUP_PAGES } from '../nodes/shared/hub';
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

const menuItems = (first: number, last: number) =>
	Array.from({ length: last - first + 1 }, (_, i) => ({ id: `itm_${first + i}`, sku: `SKU-${first + i}`, name: `Meal ${first + i}` }));

test('a dropdown follows X-Next-Cursor past the first 100 entries to the last page', async () => {
	const ctx = fakeContext({
		answers: [
			{ statusCode: 200, body: menuItems(1, 100), headers: { 'x-next-cursor': 'c2' } },
			{ statusCode: 200, body: menuItems(101, 122) },
		],
	});
	const options = await loadOptions.getMenuItems.call(ctx as never);
	assert.equal(options.length, 122);
	assert.equal(options[121].value, 'SKU-122');
	assert.deepEqual(ctx.requests.map((r) => r.qs), [undefined, { cursor: 'c2' }]);
});

test('a dropdown stops after MAX_LOOKUP_PAGES pages even if the hub keeps paging', async () => {
	const ctx = fakeContext({ hub: () => ({ statusCode: 200, body: menuItems(1, 1), headers: { 'X-Next-Cursor': 'again' } }) });
	await loadOptions.getMenuItems.call(ctx as never);
	assert.equal(ctx.requests.length, MAX_LOOKUP_PAGES);
});

test('the optional single filters of the trigger offer "All" with the empty value, so empty is a valid choice', async () => {
	const byName = Object.fromEntries(new PosHubTrigger().description.properties.map((p) => [p.name, p]));
	const cases = [
		['locationId', 'getLocationFilter', '/v1/locations'],
		['connectionId', 'getConnectionFilter', '/v1/connections'],
		['sku', 'getMenuItemFilter', '/v1/menu-items'],
	] as const;
	for (const [parameter, method, path] of cases) {
		assert.equal(byName[parameter].default, '');
		assert.equal(byName[parameter].typeOptions?.loadOptionsMethod, method);
		const ctx = fakeContext({ answers: [{ statusCode: 200, body: [{ id: 'x_1', sku: 'X-1', name: 'X' }] }] });
		const options = await loadOptions[method].call(ctx as never);
		assert.equal(ctx.requests[0].url, path);
		assert.equal(options[0].value, '');
		assert.match(options[0].name, /^All /);
		assert.equal(options.length, 2);
	}
});

test('coupon search asks one page with the search text and hands X-Next-Cursor to n8n as the pagination token', async () => {
	const ctx = fakeContext({
		answers: [
			{ statusCode: 200, body: [{ id: 'cpn_1', code: 'LUNCH10', name: '10% off lunch salads' }], headers: { 'x-next-cursor': 'p2' } },
			{ statusCode: 200, body: [{ id: 'cpn_2', code: 'WELCOME2', name: '' }] },
		],
	});
	const first = await listSearch.searchCoupons.call(ctx as never, 'lun');
	assert.equal(ctx.requests[0].url, '/v1/coupons');
	assert.deepEqual(ctx.requests[0].qs, { q: 'lun' });
	assert.deepEqual(first, { results: [{ name: 'LUNCH10 – 10% off lunch salads', value: 'LUNCH10' }], paginationToken: 'p2' });
	const last = await listSearch.searchCoupons.call(ctx as never, 'lun', 'p2');
	assert.deepEqual(ctx.requests[1].qs, { q: 'lun', cursor: 'p2' });
	assert.deepEqual(last, { results: [{ name: 'WELCOME2', value: 'WELCOME2' }], paginationToken: undefined });
});
