import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { posHubApiTest } from '../shared/credentialTest';
import { hubRequest, hubRequestFull, listSearch, loadOptions, nextCursor } from '../shared/hub';
import { waitForRun } from '../shared/wait';
import { ACTION_OF, findQueryFrom, idempotencyKey, ORDER_OPERATIONS, ORDER_PROPERTIES, orderIdOf, STOCK_OPERATIONS } from './orders';

const LIST_HINT = 'Choose from the list, or specify IDs using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.';

const nonEmpty = (value: unknown): boolean =>
	value !== undefined && value !== null && value !== '' && !(Array.isArray(value) && value.length === 0);

/** Money from an amount and an optional currency: without one the hub takes its own currency. */
const money = (amount: unknown, currency: unknown): IDataObject | undefined => {
	if (!nonEmpty(amount)) return undefined;
	const code = String(currency ?? '').trim().toUpperCase();
	return code ? { amount: String(amount).trim(), currency: code } : { amount: String(amount).trim() };
};

/**
 * A date-time as n8n gives it: the date picker's text (`2026-12-31T23:00:00`, no zone, which the hub
 * reads in its own time zone) is sent unchanged; a Luxon DateTime or Date from an expression as ISO text.
 */
export const dateTimeValue = (value: unknown): string | undefined => {
	if (value instanceof Date) return value.toISOString();
	if (value && typeof value === 'object' && typeof (value as { toISO?: unknown }).toISO === 'function') {
		return (value as { toISO: () => string }).toISO();
	}
	return value === undefined || value === null ? undefined : String(value).trim();
};

const parseJson = (value: unknown): unknown => {
	if (typeof value !== 'string') return value;
	try {
		return JSON.parse(value);
	} catch {
		return value; // the hub names the field if this is not valid
	}
};

const compact = (body: IDataObject): IDataObject =>
	Object.fromEntries(Object.entries(body).filter(([, value]) => nonEmpty(value))) as IDataObject;

/** One menu item change (the update_menu contract's menu_item_input) from one input item's parameters. */
export function menuItemFrom(ctx: IExecuteFunctions, i: number): IDataObject {
	const extra = ctx.getNodeParameter('menuFields', i, {}) as IDataObject;
	return compact({
		sku: String(ctx.getNodeParameter('sku', i)).trim(),
		name: extra.name,
		description: extra.description,
		category: extra.category,
		price: money(extra.priceAmount, extra.priceCurrency),
		available: extra.available,
		image_url: extra.imageUrl,
		modifiers: parseJson(extra.modifiers) as IDataObject[],
		location_ids: extra.locationIds,
	});
}

/**
 * The coupon code: version 1 has a text field `code`; version 2 a resource locator `couponCode`
 * (pick an existing coupon from the hub's list, or type a code, new or existing).
 */
export function couponCodeOf(ctx: IExecuteFunctions, i: number): string {
	if ((ctx.getNode().typeVersion ?? 1) < 2) return String(ctx.getNodeParameter('code', i)).trim();
	const raw = ctx.getNodeParameter('couponCode', i, '', { extractValue: true }) as unknown;
	const value = raw && typeof raw === 'object' ? (raw as IDataObject).value : raw;
	return String(value ?? '').trim();
}

/** One publish_coupon body from one input item's parameters. */
export function couponFrom(ctx: IExecuteFunctions, i: number): IDataObject {
	const discountType = ctx.getNodeParameter('discountType', i) as string;
	const extra = ctx.getNodeParameter('couponFields', i, {}) as IDataObject;
	return compact({
		code: couponCodeOf(ctx, i),
		discount_type: discountType,
		percent_off: discountType === 'percent' ? String(ctx.getNodeParameter('percentOff', i)).trim() : undefined,
		amount_off:
			discountType === 'fixed'
				? money(ctx.getNodeParameter('amountOff', i), ctx.getNodeParameter('currency', i))
				: undefined,
		name: extra.name,
		valid_from: dateTimeValue(extra.validFrom),
		valid_until: dateTimeValue(extra.validUntil),
		skus: extra.skus,
		location_ids: extra.locationIds,
		active: extra.active,
		connection_ids: ctx.getNodeParameter('connectionIds', i, []),
	});
}

export const OPERATIONS = [
	{ name: 'Update Menu Item', value: 'updateMenu' },
	{ name: 'Publish Coupon', value: 'publishCoupon' },
	...ORDER_OPERATIONS.map(({ name, value }) => ({ name: value === 'findOrders' ? 'Find Orders' : `${name} Order`, value })),
	...STOCK_OPERATIONS.map(({ name, value }) => ({ name, value })),
];

// The hub's page size for Find (its lookups answer at most this many per page).
const FIND_PAGE = 100;

/** The node subtitle: the operation's label, not its value (n8n shows the expression's result). */
export const OPERATION_SUBTITLE = `={{ ${JSON.stringify(Object.fromEntries(OPERATIONS.map((o) => [o.value, o.name])))}[$parameter["operation"]] }}`;

/** One order or stock operation for input item i: what it outputs (Find: each order found, maybe none). */
export async function orderOperation(ctx: IExecuteFunctions, operation: string, i: number): Promise<IDataObject[]> {
	const send = ACTION_OF[operation];
	if (send) {
		const body = send.body(ctx, i);
		const key = idempotencyKey(send.action, body, ctx.getNodeParameter('idempotencyKey', i, ''));
		const headers = key ? { 'Idempotency-Key': key } : undefined;
		return [(await hubRequest.call(ctx, 'POST', `/v1/actions/${send.action}`, { body, headers })) as IDataObject];
	}
	if (operation === 'getOrder') {
		return [(await hubRequest.call(ctx, 'GET', `/v1/orders/${encodeURIComponent(orderIdOf(ctx, i))}`)) as IDataObject];
	}
	if (operation === 'findOrders') {
		const limit = Math.max(1, Number(ctx.getNodeParameter('limit', i, 50)));
		const query = findQueryFrom(ctx, i);
		const found: IDataObject[] = [];
		let cursor: string | undefined;
		do {
			const qs = { ...query, limit: Math.min(FIND_PAGE, limit - found.length), ...(cursor ? { cursor } : {}) };
			const { body, headers } = await hubRequestFull.call(ctx, 'GET', '/v1/orders', { qs });
			found.push(...((Array.isArray(body) ? body : []) as IDataObject[]));
			cursor = nextCursor(headers);
		} while (cursor && found.length < limit);
		return found.slice(0, limit);
	}
	throw new NodeOperationError(ctx.getNode(), `Unknown operation ${operation}`, { itemIndex: i });
}

/** Updates menu items and publishes coupons through the POS Hub, which pushes them to every POS. */
export class PosHub implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'POS Hub',
		name: 'posHub',
		icon: 'file:posHub.svg',
		group: ['transform'],
		// Version 2 picks the coupon code from the hub's coupons (resource locator); version 1 keeps
		// its text field so existing workflows keep their values.
		version: [1, 2],
		defaultVersion: 2,
		subtitle: OPERATION_SUBTITLE,
		description: 'Update menu items, publish coupons, send orders and adjust stock on every POS through the POS Hub',
		defaults: { name: 'POS Hub' },
		credentials: [{ name: 'posHubApi', required: true, testedBy: 'posHubApiTest' }],
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		properties: [
			{
				displayName: 'Resource',
				name: 'resource',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'Menu and Coupon', value: 'catalog', description: 'Menu items and coupons pushed to every POS' },
					{ name: 'Order', value: 'order', description: 'Orders sent to the POS of a location' },
					{ name: 'Stock', value: 'stock', description: 'How many of a meal a location has' },
				],
				// Workflows from before orders have no resource: they are menu and coupon workflows.
				default: 'catalog',
			},
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				options: ORDER_OPERATIONS,
				default: 'createOrder',
				displayOptions: { show: { resource: ['order'] } },
			},
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				options: STOCK_OPERATIONS,
				default: 'adjustStock',
				displayOptions: { show: { resource: ['stock'] } },
			},
			...ORDER_PROPERTIES,
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				displayOptions: { show: { resource: ['catalog'] } },
				options: [
					{
						name: 'Update Menu Item',
						value: 'updateMenu',
						action: 'Update menu items',
						description: 'Create or update meals (price, availability, ...); all input items go out as one menu update',
					},
					{
						name: 'Publish Coupon',
						value: 'publishCoupon',
						action: 'Publish a coupon',
						description: 'Create or update a coupon by its code and push it to the POS systems',
					},
				],
				default: 'updateMenu',
			},
			{
				displayName: 'SKU',
				name: 'sku',
				type: 'string',
				required: true,
				default: '',
				placeholder: 'SAL-CAESAR',
				displayOptions: { show: { operation: ['updateMenu'] } },
				description: "The meal's stock keeping unit. An existing SKU is updated, a new one created (a new one also needs a name and a price).",
			},
			{
				displayName: 'Menu Fields',
				name: 'menuFields',
				type: 'collection',
				placeholder: 'Add Field',
				default: {},
				displayOptions: { show: { operation: ['updateMenu'] } },
				options: [
					{ displayName: 'Available', name: 'available', type: 'boolean', default: true, description: 'Whether the meal can be sold now; off hides it or marks it sold out at every POS' },
					{ displayName: 'Category', name: 'category', type: 'string', default: '', description: 'The menu section, e.g. Salads' },
					{ displayName: 'Description', name: 'description', type: 'string', typeOptions: { rows: 3 }, default: '', description: 'A short text shown with the meal' },
					{ displayName: 'Image URL', name: 'imageUrl', type: 'string', default: '', description: 'A web address (https://...) of a photo of the meal' },
					{ displayName: 'Location Names or IDs', name: 'locationIds', type: 'multiOptions', typeOptions: { loadOptionsMethod: 'getLocations' }, default: [], description: `Where the meal is sold; empty means every location. ${LIST_HINT}` },
					{ displayName: 'Modifiers (JSON)', name: 'modifiers', type: 'json', default: '[]', description: 'Choices offered with the meal, e.g. [{"name": "Dressing", "options": [{"name": "Ranch", "price": {"amount": "0.00", "currency": "EUR"}}]}]; replaces the current list' },
					{ displayName: 'Name', name: 'name', type: 'string', default: '', description: 'The meal\'s name as customers see it' },
					{ displayName: 'Price Amount', name: 'priceAmount', type: 'string', default: '', placeholder: '8.90', description: 'The price as text with a dot, e.g. 8.90' },
					{ displayName: 'Price Currency', name: 'priceCurrency', type: 'string', default: '', placeholder: 'EUR', description: "The three-letter currency code, e.g. EUR. Optional: without it the price is in the hub's currency." },
				],
			},
			{
				displayName: 'Code',
				name: 'code',
				type: 'string',
				required: true,
				default: '',
				placeholder: 'LUNCH10',
				displayOptions: { show: { operation: ['publishCoupon'], '@version': [1] } },
				description: 'The code customers enter or scan: 3 to 40 letters, digits, _ or -. An existing code is updated.',
			},
			{
				displayName: 'Code',
				name: 'couponCode',
				type: 'resourceLocator',
				required: true,
				default: { mode: 'id', value: '' },
				displayOptions: { show: { operation: ['publishCoupon'], '@version': [{ _cnd: { gte: 2 } }] } },
				description: 'The code customers enter or scan. Type a new code to create a coupon, or pick an existing one From List to update it.',
				modes: [
					{
						displayName: 'By Code',
						name: 'id',
						type: 'string',
						placeholder: 'LUNCH10',
						hint: '3 to 40 letters, digits, _ or -',
						validation: [
							{
								type: 'regex',
								properties: { regex: '^[A-Za-z0-9_-]{3,40}$', errorMessage: 'Use 3 to 40 letters, digits, _ or -' },
							},
						],
					},
					{
						displayName: 'From List',
						name: 'list',
						type: 'list',
						typeOptions: { searchListMethod: 'searchCoupons', searchable: true },
					},
				],
			},
			{
				displayName: 'Discount Type',
				name: 'discountType',
				type: 'options',
				options: [
					{ name: 'Percent', value: 'percent', description: 'Takes a percentage off' },
					{ name: 'Fixed Amount', value: 'fixed', description: 'Takes a fixed amount off' },
				],
				default: 'percent',
				displayOptions: { show: { operation: ['publishCoupon'] } },
			},
			{
				displayName: 'Percent Off',
				name: 'percentOff',
				type: 'string',
				required: true,
				default: '',
				placeholder: '10',
				displayOptions: { show: { operation: ['publishCoupon'], discountType: ['percent'] } },
				description: 'The percentage taken off, more than 0 and at most 100',
			},
			{
				displayName: 'Amount Off',
				name: 'amountOff',
				type: 'string',
				required: true,
				default: '',
				placeholder: '2.00',
				displayOptions: { show: { operation: ['publishCoupon'], discountType: ['fixed'] } },
				description: 'The amount taken off as text with a dot, e.g. 2.00',
			},
			{
				displayName: 'Currency',
				name: 'currency',
				type: 'string',
				default: 'EUR',
				displayOptions: { show: { operation: ['publishCoupon'], discountType: ['fixed'] } },
				description: "The three-letter currency code of the amount off, e.g. EUR; empty means the hub's currency",
			},
			{
				displayName: 'Coupon Fields',
				name: 'couponFields',
				type: 'collection',
				placeholder: 'Add Field',
				default: {},
				displayOptions: { show: { operation: ['publishCoupon'] } },
				options: [
					{ displayName: 'Active', name: 'active', type: 'boolean', default: true, description: 'Whether the coupon can be used; off switches it off everywhere' },
					{ displayName: 'Location Names or IDs', name: 'locationIds', type: 'multiOptions', typeOptions: { loadOptionsMethod: 'getLocations' }, default: [], description: `Where the coupon works; empty means every location. ${LIST_HINT}` },
					{ displayName: 'Name', name: 'name', type: 'string', default: '', description: 'The coupon\'s name as shown to staff and customers' },
					{ displayName: 'SKU Names or IDs', name: 'skus', type: 'multiOptions', typeOptions: { loadOptionsMethod: 'getMenuItems' }, default: [], description: `The meals the coupon applies to; empty means every item. ${LIST_HINT}` },
					{ displayName: 'Valid From', name: 'validFrom', type: 'dateTime', default: '', description: "When the coupon starts to work; empty means right away. A time without a time zone (as the date picker gives it) is in the hub's time zone." },
					{ displayName: 'Valid Until', name: 'validUntil', type: 'dateTime', default: '', description: "When the coupon stops working; empty means no end date. A time without a time zone (as the date picker gives it) is in the hub's time zone." },
				],
			},
			{
				displayName: 'Push to Connection Names or IDs',
				name: 'connectionIds',
				type: 'multiOptions',
				typeOptions: { loadOptionsMethod: 'getConnections' },
				default: [],
				displayOptions: { show: { resource: ['catalog'] } },
				description: `The POS connections to push to; empty means every connection. ${LIST_HINT}`,
			},
			{
				displayName: 'Wait for the POS',
				name: 'waitForPos',
				type: 'boolean',
				default: false,
				displayOptions: { show: { resource: ['catalog'] } },
				description:
					'Whether to wait until every POS took the change (or gave up) instead of answering right away with the queued run; the step fails when a POS did not take it',
			},
			{
				displayName: 'Timeout (Seconds)',
				name: 'waitTimeout',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 120,
				displayOptions: { show: { waitForPos: [true] } },
				description: 'How long to wait for the POS systems; then the step fails with the run ID (the change still goes on in the hub)',
			},
		],
	};

	methods = { loadOptions, listSearch, credentialTest: { posHubApiTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const operation = this.getNodeParameter('operation', 0) as string;

		/** The started run, or with "Wait for the POS" the ended one (failing when a POS gave up). */
		const outcome = async (run: IDataObject, i: number): Promise<IDataObject> => {
			if (!this.getNodeParameter('waitForPos', i, false)) return run;
			return waitForRun.call(this, run, Number(this.getNodeParameter('waitTimeout', i, 120)), i);
		};
		const failure = (error: unknown): IDataObject => ({ error: (error as Error).message });

		if (this.getNodeParameter('resource', 0, 'catalog') !== 'catalog') {
			const results: INodeExecutionData[] = [];
			for (let i = 0; i < items.length; i += 1) {
				try {
					const answers = await orderOperation(this, operation, i);
					results.push(...answers.map((json) => ({ json, pairedItem: { item: i } })));
				} catch (error) {
					if (!this.continueOnFail()) throw error;
					results.push({ json: failure(error), pairedItem: { item: i } });
				}
			}
			return [results];
		}

		if (operation === 'updateMenu') {
			const body = compact({
				items: items.map((_, i) => menuItemFrom(this, i)),
				connection_ids: this.getNodeParameter('connectionIds', 0, []),
			});
			try {
				const run = (await hubRequest.call(this, 'POST', '/v1/actions/update_menu', { body })) as IDataObject;
				return [this.helpers.returnJsonArray(await outcome(run, 0))];
			} catch (error) {
				if (!this.continueOnFail()) throw error;
				return [[{ json: failure(error) }]];
			}
		}

		const results: INodeExecutionData[] = [];
		for (let i = 0; i < items.length; i += 1) {
			try {
				const run = (await hubRequest.call(this, 'POST', '/v1/actions/publish_coupon', { body: couponFrom(this, i) })) as IDataObject;
				results.push({ json: await outcome(run, i), pairedItem: { item: i } });
			} catch (error) {
				if (!this.continueOnFail()) throw error;
				results.push({ json: failure(error), pairedItem: { item: i } });
			}
		}
		return [results];
	}
}
