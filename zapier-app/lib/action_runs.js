'use strict';
/** Waiting for an action run to end: the form field and the reading of the hub's final run. */
const { sentences } = require('./hub');

const WAIT_FIELD = {
  key: 'wait_for_pos',
  label: 'Wait for the POS',
  type: 'boolean',
  required: false,
  default: 'false',
  helpText:
    'No (default): the step ends right away with the run as queued ("pending"). ' +
    'Yes: the step waits until every POS connection has taken the change or been given up, ' +
    'and then gives the final result per connection; it fails when a connection gave up (the POS refused the change).',
};

// Run states in which the hub is done with every delivery (schemas/common/action_run.json).
const ENDED = ['succeeded', 'partially_failed', 'failed'];

/**
 * The step's output from the run the hub posted to the callback URL; a pure function of that body
 * (so a recorded hub callback can be replayed). Dead deliveries fail the step with the POS's own
 * message: the Zap should not go on as if the change was made, and Zapier shows the error and
 * lets the user replay the step once support has retried the run.
 */
const finalRun = (z, run) => {
  if (!run || typeof run !== 'object' || !run.id || !Array.isArray(run.deliveries)) {
    throw new z.errors.Error(
      'The hub called back without an action run; check the run in the hub.',
      'InvalidCallback',
      400,
    );
  }
  if (!ENDED.includes(run.status)) {
    throw new z.errors.Error(
      `The hub called back before run ${run.id} ended (status ${run.status}); check the run in the hub.`,
      'RunNotEnded',
      400,
    );
  }
  const dead = run.deliveries.filter((d) => d.status === 'dead');
  if (dead.length) {
    const lines = dead.map((d) => `- ${d.connection_name || d.connection_id}: ${d.last_error || 'gave up without a message'}`);
    throw new z.errors.Error(
      `${sentences(run.summary || `Run ${run.id} ${run.status}`)} ` +
        `Not taken by ${dead.length === 1 ? 'this POS' : 'these POS'}:\n${lines.join('\n')}\n` +
        `Fix the cause, then have the run retried in the hub (run ${run.id}).`,
      'DeliveryDead',
      409,
    );
  }
  return run;
};

module.exports = { WAIT_FIELD, finalRun, ENDED };
