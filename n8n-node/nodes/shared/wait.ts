import { NodeOperationError, sleep } from 'n8n-workflow';
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { hubRequest } from './hub';

// How the wait tells time: the tests replace these with a fake clock that advances on sleep.
export const clock = {
	now: (): number => Date.now(),
	sleep: async (ms: number): Promise<void> => sleep(ms),
};

// An action run is over in these states (schemas/common/action_run.json); pending and in_progress go on.
const ENDED = ['succeeded', 'partially_failed', 'failed'];
// Checks start soon (most POS systems take a change within seconds) and back off to this interval,
// so a long wait costs few requests against the hub's rate limit.
const FIRST_CHECK_MS = 1000;
const MAX_CHECK_MS = 10000;

interface Delivery {
	connection_id?: string;
	connection_name?: string;
	status?: string;
	last_error?: string | null;
}

/** Fails the step when a POS gave up on the change, with each vendor's message. */
function failOnDeadDeliveries(ctx: IExecuteFunctions, run: IDataObject, itemIndex: number): void {
	const deliveries = (Array.isArray(run.deliveries) ? run.deliveries : []) as Delivery[];
	const dead = deliveries.filter((delivery) => delivery.status === 'dead');
	if (!dead.length && run.status === 'succeeded') return;
	const reasons = dead.map((d) => `${d.connection_name ?? d.connection_id}: ${d.last_error || 'gave up after retries'}`);
	const message = reasons.length
		? `The POS did not take the change: ${reasons.join('; ')}`
		: `The POS did not take the change: ${String(run.summary ?? run.status)}`;
	throw new NodeOperationError(ctx.getNode(), message, {
		itemIndex,
		description: `Run ${String(run.id)}: ${String(run.summary ?? run.status)}. Fix the cause at the POS or in the hub's connection; the hub's support can retry the failed deliveries of this run.`,
	});
}

/**
 * Waits until the action run ends (GET /v1/actions/<id>) or the timeout passes; returns the ended
 * run, or fails the step when a delivery is dead or the time is up.
 */
export async function waitForRun(this: IExecuteFunctions, started: IDataObject, timeoutSeconds: number, itemIndex: number): Promise<IDataObject> {
	const deadline = clock.now() + Math.max(1, timeoutSeconds) * 1000;
	let run = started;
	let interval = FIRST_CHECK_MS;
	while (!ENDED.includes(String(run.status))) {
		const left = deadline - clock.now();
		if (left <= 0) {
			throw new NodeOperationError(
				this.getNode(),
				`The POS systems did not finish within ${timeoutSeconds} seconds (run ${String(run.id)}: ${String(run.summary ?? run.status)})`,
				{
					itemIndex,
					description: `The change goes on in the hub. Check run ${String(run.id)} with GET /v1/actions/${String(run.id)} (e.g. an HTTP Request node with the POS Hub API credential), or raise "Timeout (Seconds)".`,
				},
			);
		}
		await clock.sleep(Math.min(interval, left));
		interval = Math.min(interval * 2, MAX_CHECK_MS);
		run = (await hubRequest.call(this, 'GET', `/v1/actions/${encodeURIComponent(String(started.id))}`)) as IDataObject;
	}
	failOnDeadDeliveries(this, run, itemIndex);
	return run;
}
