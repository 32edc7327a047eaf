/**
 * Orders to the POS and stock adjustments (DESIGN §6a): the node's Order and Stock resources, their
 * parameters and the request bodies they build (schemas/actions/{create,update,cancel}_order and
 * adjust_stock; test/contract.test.ts holds the bodies and the status list to those contracts).
 */
import { createHash } from 'node:crypto';
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

const LIST_HINT = 'Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.';

// schemas/common/order.json#/properties/status
export const ORDER_STATUSES = ['received', 'sent', 'accepted', 'rejected', 'ready', 'completed', 'cancelled'];

export const ORDER_OPERATIONS = [
	{ name: 'Create', value: 'createOrder', action: 'Create an order', description: 'Send an order to the POS of a location, prepaid or paid at the POS' },
	{ name: 'Update', value: 'updateOrder', action: 'Update an order', description: 'Replace the meals of an order the POS has not started making' },
	{ name: 'Cancel', value: 'cancelOrder', action: 'Cancel an order', description: 'Cancel an order that is not completed yet' },
	{ name: 'Get', value: 'getOrder', action: 'Get an order', description: 'Get an order with its status and history by its ID' },
	{ name: 'Find', value: 'findOrders', action: 'Find orders', description: 'Find orders by channel order ID, status, location or text: a summary of each (Get gives the whole order)' },
];
export const STOCK_OPERATIONS = [
	{ name: 'Adjust Stock', value: 'adjustStock', action: 'Adjust stock', description: 'Set or change how many of a meal a location has' },
];

const show = (operation: string[]) => ({ show: { resource: ['order', 'stock'], operation } });

const lineFields: INodeProperties[] = [
	{ displayName: 'SKU Name or ID', name: 'sku', type: 'options', typeOptions: { loadOptionsMethod: 'getMenuItems' }, default: '', description: `The meal as in the catalog. ${LIST_HINT}` },
	{ displayName: 'Quantity', name: 'quantity', type: 'number', typeOptions: { minValue: 1, maxValue: 999 }, default: 1, description: 'How many of this meal, 1 to 999' },
	{ displayName: 'Options (JSON)', name: 'modifiers', type: 'json', default: '[]', description: 'The options the customer chose, by modifier and option name as in the catalog, e.g. [{"name": "Dressing", "option": "Extra parmesan"}]; their extra charges come from the catalog' },
	{ displayName: 'Line Note', name: 'note', type: 'string', default: '', description: "The customer's note for this meal, e.g. No croutons" },
];

export const ORDER_PROPERTIES: INodeProperties[] = [
	{
		displayName: 'Channel Order ID',
		name: 'channelOrderId',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'WEB-1042',
		displayOptions: show(['createOrder']),
		description: 'Your own order number in the shop, app or kiosk that took the order. The hub creates one order per number: sending it again answers the same order.',
	},
	{
		displayName: 'Order',
		name: 'orderId',
		type: 'resourceLocator',
		required: true,
		default: { mode: 'list', value: '' },
		displayOptions: show(['updateOrder', 'cancelOrder', 'getOrder']),
		description: "The hub's order: pick a recent one, or give its ID (from Create or Find, or an Order Status Changed event)",
		modes: [
			{ displayName: 'From List', name: 'list', type: 'list', typeOptions: { searchListMethod: 'searchOrders', searchable: true } },
			{ displayName: 'By ID', name: 'id', type: 'string', placeholder: 'ord_5c6d7e8f9a0b1c2d' },
		],
	},
	{
		displayName: 'Location Name or ID',
		name: 'locationId',
		type: 'options',
		typeOptions: { loadOptionsMethod: 'getLocations' },
		required: true,
		default: '',
		displayOptions: show(['createOrder', 'adjustStock']),
		description: `The location that makes the order, or whose stock changes. ${LIST_HINT}`,
	},
	{
		displayName: 'Lines',
		name: 'lines',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		required: true,
		placeholder: 'Add Line',
		default: {},
		displayOptions: show(['createOrder', 'updateOrder']),
		description: 'The meals of the order (1 to 100); prices come from the catalog. Update Order replaces all the lines.',
		options: [{ displayName: 'Line', name: 'line', values: lineFields }],
	},
	{
		displayName: 'Payment Type',
		name: 'paymentType',
		type: 'options',
		options: [
			{ name: 'Prepaid', value: 'prepaid', description: 'Already paid in your channel' },
			{ name: 'Pay at POS', value: 'pay_at_pos', description: 'The customer pays at the till on pickup' },
		],
		default: 'pay_at_pos',
		displayOptions: show(['createOrder']),
	},
	{
		displayName: 'Amount Paid',
		name: 'paymentAmount',
		type: 'string',
		required: true,
		default: '',
		placeholder: '19.80',
		displayOptions: { show: { resource: ['order'], operation: ['createOrder'], paymentType: ['prepaid'] } },
		description: 'What the customer paid, equal to the order total (catalog prices), as text with a dot, e.g. 19.80',
	},
	{
		displayName: 'Payment Reference',
		name: 'paymentReference',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'pi_3Nf8xYk2',
		displayOptions: { show: { resource: ['order'], operation: ['createOrder'], paymentType: ['prepaid'] } },
		description: "Your payment provider's reference",
	},
	{
		displayName: 'Order Fields',
		name: 'orderFields',
		type: 'collection',
		placeholder: 'Add Field',
		default: {},
		displayOptions: show(['createOrder']),
		options: [
			{ displayName: 'Channel', name: 'channel', type: 'string', default: '', description: 'Where the order was placed, e.g. web shop or kiosk app' },
			{ displayName: 'Currency', name: 'currency', type: 'string', default: '', placeholder: 'EUR', description: "Prepaid only: the three-letter currency paid in; empty means the catalog's currency" },
			{ displayName: 'Customer Key', name: 'customerKey', type: 'string', default: '', description: 'Your key for the customer, to recognise them at pickup; empty for an anonymous order' },
			{ displayName: 'Note', name: 'note', type: 'string', default: '', description: "The customer's note for the whole order" },
			{ displayName: 'Pickup Time', name: 'pickupAt', type: 'dateTime', default: '', description: "When the customer will pick the order up; empty means as soon as possible. A time without a time zone (as the date picker gives it) is in the hub's time zone." },
		],
	},
	{
		displayName: 'Reason',
		name: 'cancelReason',
		type: 'string',
		default: '',
		placeholder: 'Customer changed their mind',
		displayOptions: show(['cancelOrder']),
		description: 'Why the order is cancelled, shown to the POS staff (optional)',
	},
	{
		displayName: 'Filters',
		name: 'findFilters',
		type: 'collection',
		placeholder: 'Add Filter',
		default: {},
		displayOptions: show(['findOrders']),
		options: [
			{ displayName: 'Channel Order ID', name: 'channelOrderId', type: 'string', default: '', description: 'Only the order with this channel order ID' },
			{ displayName: 'Location Name or ID', name: 'locationId', type: 'options', typeOptions: { loadOptionsMethod: 'getLocations' }, default: '', description: `Only orders of this location. ${LIST_HINT}` },
			{ displayName: 'Search', name: 'q', type: 'string', default: '', description: 'Text in the channel order ID, the POS order ID or the customer key' },
			{
				displayName: 'Status',
				name: 'status',
				type: 'options',
				options: ORDER_STATUSES.map((status) => ({ name: status.charAt(0).toUpperCase() + status.slice(1), value: status })),
				default: 'received',
				description: 'Only orders in this status',
			},
		],
	},
	{
		displayName: 'Limit',
		name: 'limit',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 50,
		displayOptions: show(['findOrders']),
		description: 'Max number of results to return',
	},
	{
		displayName: 'SKU Name or ID',
		name: 'stockSku',
		type: 'options',
		typeOptions: { loadOptionsMethod: 'getMenuItems' },
		required: true,
		default: '',
		displayOptions: show(['adjustStock']),
		description: `The meal whose count changes. ${LIST_HINT}`,
	},
	{
		displayName: 'Change',
		name: 'stockChange',
		type: 'options',
		options: [
			{ name: 'Adjust By', value: 'adjust_by', description: 'Add (a delivery arrived) or take away (a negative number: spoiled)' },
			{ name: 'Set Quantity To', value: 'set_quantity', description: 'The new count after a recount' },
		],
		default: 'adjust_by',
		displayOptions: show(['adjustStock']),
	},
	{
		displayName: 'Quantity',
		name: 'stockQuantity',
		type: 'number',
		required: true,
		default: 0,
		displayOptions: show(['adjustStock']),
		description: 'How many to add (negative: take away), or the new count',
	},
	{
		displayName: 'Reason',
		name: 'stockReason',
		type: 'string',
		default: '',
		placeholder: 'Morning delivery',
		displayOptions: show(['adjustStock']),
		description: 'Why the stock changed, for your records (optional)',
	},
	{
		displayName: 'Idempotency Key',
		name: 'idempotencyKey',
		type: 'string',
		default: '',
		displayOptions: show(['createOrder', 'updateOrder', 'cancelOrder', 'adjustStock']),
		description:
			'Optional: a value unique to this change (the ID of the triggering event or record); a retried execution with the same value is answered with the first result and changes nothing again. Empty: Create and Cancel are still done once for the same request; Update and Adjust Stock are done each time.',
	},
];

const nonEmpty = (value: unknown): boolean =>
	value !== undefined && value !== null && value !== '' && !(Array.isArray(value) && value.length === 0);

const compact = (body: IDataObject): IDataObject =>
	Object.fromEntries(Object.entries(body).filter(([, value]) => nonEmpty(value))) as IDataObject;

const text = (value: unknown): string | undefined => (nonEmpty(value) ? String(value).trim() : undefined);

const parseJson = (value: unknown): unknown => {
	if (typeof value !== 'string') return value;
	try {
		return JSON.parse(value);
	} catch {
		return value; // the hub names the field if this is not valid
	}
};

const dateTime = (value: unknown): string | undefined => {
	if (value instanceof Date) return value.toISOString();
	if (value && typeof value === 'object' && typeof (value as { toISO?: unknown }).toISO === 'function') {
		return (value as { toISO: () => string }).toISO();
	}
	return text(value);
};

/** The order id of the resource locator (picked from the list or typed). */
export function orderIdOf(ctx: IExecuteFunctions, i: number): string {
	const raw = ctx.getNodeParameter('orderId', i, '', { extractValue: true }) as unknown;
	const value = raw && typeof raw === 'object' ? (raw as IDataObject).value : raw;
	return String(value ?? '').trim();
}

function linesOf(ctx: IExecuteFunctions, i: number): IDataObject[] {
	const lines = ((ctx.getNodeParameter('lines', i, {}) as IDataObject).line ?? []) as IDataObject[];
	return lines.map((line) => {
		const modifiers = parseJson(line.modifiers);
		return compact({
			sku: text(line.sku),
			quantity: line.quantity,
			modifiers: Array.isArray(modifiers) && !modifiers.length ? undefined : (modifiers as IDataObject[]),
			note: text(line.note),
		});
	});
}

/** The create_order body of one input item. */
export function createOrderFrom(ctx: IExecuteFunctions, i: number): IDataObject {
	const type = ctx.getNodeParameter('paymentType', i) as string;
	const extra = ctx.getNodeParameter('orderFields', i, {}) as IDataObject;
	const payment: IDataObject =
		type === 'prepaid'
			? compact({
					type,
					amount: text(ctx.getNodeParameter('paymentAmount', i)),
					currency: text(extra.currency)?.toUpperCase(),
					reference: text(ctx.getNodeParameter('paymentReference', i)),
				})
			: { type };
	return compact({
		channel_order_id: text(ctx.getNodeParameter('channelOrderId', i)),
		location_id: text(ctx.getNodeParameter('locationId', i)),
		lines: linesOf(ctx, i),
		payment,
		customer_key: text(extra.customerKey),
		pickup_at: dateTime(extra.pickupAt),
		note: text(extra.note),
		channel: text(extra.channel),
	});
}

/** The update_order body of one input item. */
export function updateOrderFrom(ctx: IExecuteFunctions, i: number): IDataObject {
	return { order_id: orderIdOf(ctx, i), lines: linesOf(ctx, i) };
}

/** The cancel_order body of one input item. */
export function cancelOrderFrom(ctx: IExecuteFunctions, i: number): IDataObject {
	return compact({ order_id: orderIdOf(ctx, i), reason: text(ctx.getNodeParameter('cancelReason', i, '')) });
}

/** The adjust_stock body of one input item. */
export function adjustStockFrom(ctx: IExecuteFunctions, i: number): IDataObject {
	const change = ctx.getNodeParameter('stockChange', i) as string;
	return compact({
		location_id: text(ctx.getNodeParameter('locationId', i)),
		sku: text(ctx.getNodeParameter('stockSku', i)),
		[change]: Number(ctx.getNodeParameter('stockQuantity', i)),
		reason: text(ctx.getNodeParameter('stockReason', i, '')),
	});
}

/** The GET /v1/orders query of Find. */
export function findQueryFrom(ctx: IExecuteFunctions, i: number): IDataObject {
	const filters = ctx.getNodeParameter('findFilters', i, {}) as IDataObject;
	return compact({
		channel_order_id: text(filters.channelOrderId),
		status: text(filters.status),
		location_id: text(filters.locationId),
		q: text(filters.q),
	});
}

// Same request, same answer only where that is safe: an order is created once per channel order id, and
// cancelling twice is cancelling once; the same lines or stock change sent again later must be done again.
const SAME_REQUEST_SAME_ANSWER = ['create_order', 'cancel_order'];

const canonical = (value: unknown): string => {
	if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
	if (value && typeof value === 'object') {
		const record = value as Record<string, unknown>;
		return `{${Object.keys(record).sort().map((k) => `${JSON.stringify(k)}:${canonical(record[k])}`).join(',')}}`;
	}
	return JSON.stringify(value);
};

/** The Idempotency-Key of an action request: the given key, the body's digest where safe, or none. */
export function idempotencyKey(action: string, body: IDataObject, given: unknown): string | undefined {
	const key = text(given);
	if (key) return `n8n-${action}-${key}`.slice(0, 255);
	if (!SAME_REQUEST_SAME_ANSWER.includes(action)) return undefined;
	return `n8n-${action}-${createHash('sha256').update(canonical(body)).digest('hex').slice(0, 40)}`;
}

export const ACTION_OF: Record<string, { action: string; body: (ctx: IExecuteFunctions, i: number) => IDataObject }> = {
	createOrder: { action: 'create_order', body: createOrderFrom },
	updateOrder: { action: 'update_order', body: updateOrderFrom },
	cancelOrder: { action: 'cancel_order', body: cancelOrderFrom },
	adjustStock: { action: 'adjust_stock', body: adjustStockFrom },
};
