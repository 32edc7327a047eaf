import { NodeConnectionTypes } from 'n8n-workflow';
import type { IDataObject, INodeExecutionData, INodeType, INodeTypeDescription, IPollFunctions } from 'n8n-workflow';
import { posHubApiTest } from '../shared/credentialTest';
import { hubRequest, loadOptions } from '../shared/hub';
import SAMPLES from './samples.json';

// The hub returns at most this many events per page (its maximum).
const PAGE = 500;
// Pages one poll fetches at most (5,000 events): one execution holds all its items in memory and in its
// execution record, so a larger backlog is drained over the following polls instead, oldest first.
const MAX_PAGES = 10;

interface Cursor {
	sinceId?: number;
	watching?: string;
}

// Labels are the trigger contracts' titles, title-cased (test/contract.test.ts holds them to schemas/triggers/).
export const EVENTS = [
	{ name: 'New Purchase', value: 'new_purchase', description: 'Once for every purchase made at any POS' },
	{ name: 'Low Stock', value: 'low_stock', description: 'When the stock of an item at a location falls to or below its threshold' },
	{ name: 'POS Offline', value: 'pos_offline', description: 'When a POS connection or location has not been heard from for its offline window' },
	{ name: 'POS Back Online', value: 'pos_online', description: 'When a POS that was offline is heard from again' },
	{ name: 'Connection Failing', value: 'connection_failing', description: 'When the hub cannot poll a POS connection (once per failing streak)' },
	{ name: 'Connection Recovered', value: 'connection_recovered', description: 'When a POS connection reported failing is polled successfully again' },
	{ name: 'Order Status Changed', value: 'order_status_changed', description: "Each time an order's status changes: received, sent, accepted, rejected, ready, completed or cancelled" },
];

// The events that happen at a location, and those about a menu item: only they take those filters.
export const LOCATION_EVENTS = ['new_purchase', 'low_stock', 'pos_offline', 'pos_online', 'order_status_changed'];
export const SKU_EVENTS = ['new_purchase', 'low_stock'];
// The events about an order's status: only they take the status filter.
export const STATUS_EVENTS = ['order_status_changed'];
// schemas/triggers/order_status_changed.output.json#/properties/status
export const ORDER_STATUSES = ['received', 'sent', 'accepted', 'rejected', 'ready', 'completed', 'cancelled'];

/** The node subtitle: the chosen event's label, not its value (n8n shows the expression's result). */
export const EVENT_SUBTITLE = `={{ ${JSON.stringify(Object.fromEntries(EVENTS.map((event) => [event.value, event.name])))}[$parameter["event"]] }}`;

/** The trigger contract's example event, marked as a sample, for a test run that finds no event. */
export function sampleEvent(event: string): IDataObject | undefined {
	const sample = (SAMPLES as Record<string, IDataObject>)[event];
	return sample ? { ...sample, _sample: true } : undefined;
}

const filtersOf = (ctx: IPollFunctions, event: string): IDataObject => {
	const filters: IDataObject = {};
	const locationId = LOCATION_EVENTS.includes(event) ? (ctx.getNodeParameter('locationId', '') as string) : '';
	const connectionId = ctx.getNodeParameter('connectionId', '') as string;
	const sku = SKU_EVENTS.includes(event) ? (ctx.getNodeParameter('sku', '') as string) : '';
	const status = STATUS_EVENTS.includes(event) ? (ctx.getNodeParameter('orderStatus', '') as string) : '';
	if (locationId) filters.location_id = locationId;
	if (connectionId) filters.connection_id = connectionId;
	if (sku) filters.sku = sku;
	if (status) filters.status = status;
	return filters;
};

/** The oldest events after the cursor, oldest first: page after page forward, up to MAX_PAGES pages. */
async function eventsSince(ctx: IPollFunctions, event: string, filters: IDataObject, sinceId: number): Promise<IDataObject[]> {
	const events: IDataObject[] = [];
	let after = sinceId;
	for (let page = 0; page < MAX_PAGES; page += 1) {
		// With since_id the hub answers the oldest `limit` events after it (newest first within the page).
		const qs: IDataObject = { ...filters, since_id: after, limit: PAGE };
		const batch = (await hubRequest.call(ctx, 'GET', `/v1/triggers/${event}`, { qs })) as IDataObject[];
		events.push(...[...batch].sort((a, b) => Number(a.id) - Number(b.id)));
		if (batch.length < PAGE) break;
		after = Number(events[events.length - 1].id);
	}
	return events;
}

/** Polls the hub's triggers with a since_id cursor kept in the workflow's static data. */
export class PosHubTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'POS Hub Trigger',
		name: 'posHubTrigger',
		icon: 'file:posHub.svg',
		group: ['trigger'],
		version: 1,
		subtitle: EVENT_SUBTITLE,
		description: 'Starts the workflow on purchases, low stock, POS outages, failing connections and order status changes reported by the POS Hub',
		defaults: { name: 'POS Hub Trigger' },
		credentials: [{ name: 'posHubApi', required: true, testedBy: 'posHubApiTest' }],
		polling: true,
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		properties: [
			{
				displayName: 'Event',
				name: 'event',
				type: 'options',
				options: EVENTS,
				default: 'low_stock',
				required: true,
			},
			{
				displayName: 'Location Name or ID',
				name: 'locationId',
				type: 'options',
				typeOptions: { loadOptionsMethod: 'getLocationFilter' },
				default: '',
				displayOptions: { show: { event: LOCATION_EVENTS } },
				description:
					'Only events at this location; "All ..." (the default) means no filter. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
			},
			{
				displayName: 'Connection Name or ID',
				name: 'connectionId',
				type: 'options',
				typeOptions: { loadOptionsMethod: 'getConnectionFilter' },
				default: '',
				description:
					'Only events of this POS connection; "All ..." (the default) means no filter. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
			},
			{
				displayName: 'Menu Item (SKU) Name or ID',
				name: 'sku',
				type: 'options',
				typeOptions: { loadOptionsMethod: 'getMenuItemFilter' },
				default: '',
				displayOptions: { show: { event: SKU_EVENTS } },
				description:
					'Only events about this SKU; "All ..." (the default) means no filter. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
			},
			{
				displayName: 'Status',
				name: 'orderStatus',
				type: 'options',
				options: [
					{ name: 'All Statuses', value: '', description: 'No filter' },
					...ORDER_STATUSES.map((status) => ({ name: status.charAt(0).toUpperCase() + status.slice(1), value: status })),
				],
				default: '',
				displayOptions: { show: { event: STATUS_EVENTS } },
				description: 'Only changes to this status, e.g. Ready to tell the customer their order can be picked up',
			},
		],
	};

	methods = { loadOptions, credentialTest: { posHubApiTest } };

	async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
		const event = this.getNodeParameter('event') as string;
		const filters = filtersOf(this, event);
		const path = `/v1/triggers/${event}`;

		if (this.getMode() === 'manual') {
			// A test run shows the newest matching event and leaves the cursor alone. With none yet, it
			// shows the contract's example (marked `_sample: true`) so the next nodes can be mapped;
			// only here: an activated workflow never emits a sample.
			const newest = (await hubRequest.call(this, 'GET', path, { qs: { ...filters, limit: 1 } })) as IDataObject[];
			if (newest.length) return [this.helpers.returnJsonArray(newest)];
			const sample = sampleEvent(event);
			return sample ? [this.helpers.returnJsonArray([sample])] : null;
		}

		const cursor = this.getWorkflowStaticData('node') as Cursor;
		const watching = JSON.stringify({ event, filters });
		if (cursor.sinceId === undefined || cursor.watching !== watching) {
			// First activation (or new settings): start from now instead of replaying history.
			const newest = (await hubRequest.call(this, 'GET', path, { qs: { ...filters, limit: 1 } })) as IDataObject[];
			cursor.sinceId = newest.length ? Number(newest[0].id) : 0;
			cursor.watching = watching;
			return null;
		}

		const events = await eventsSince(this, event, filters, cursor.sinceId);
		if (!events.length) return null;
		// Only now that every page arrived does the cursor move, and only over what is emitted:
		// n8n saves static data when it takes the items, and an error leaves the cursor alone.
		cursor.sinceId = Number(events[events.length - 1].id);
		return [this.helpers.returnJsonArray(events)];
	}
}
