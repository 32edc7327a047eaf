'use strict';
/**
 * Orders to the POS (DESIGN §6a): Create, Update and Cancel Order and Adjust Stock (the hub answers
 * at once with the order or the stock level, never with an action run), and the Find Order search.
 */
const crypto = require('crypto');
const fields = require('../generated/fields.json');
const { hubUrl } = require('./hub');
const { buildBody, isEmpty } = require('./body');

const DISPLAY = {
  create_order: { noun: 'Order', label: 'Create Order' },
  update_order: { noun: 'Order', label: 'Update Order' },
  cancel_order: { noun: 'Order', label: 'Cancel Order' },
  adjust_stock: { noun: 'Stock Level', label: 'Adjust Stock' },
};

// Actions a repeated identical request may safely answer with the first answer: an order is created
// once per channel order id, and cancelling twice is cancelling once. Update Order and Adjust Stock
// are not: the same lines or count sent again later (A → B → A → B) must be applied again, so they
// send a key only when the Zap maps one.
const SAME_REQUEST_SAME_ANSWER = ['create_order', 'cancel_order'];

const KEY_FIELD = {
  key: 'idempotency_key',
  label: 'Idempotency key',
  type: 'string',
  required: false,
  helpText:
    'Optional: a value unique to this change, such as the ID of the trigger event or of your own record; ' +
    'a replayed Zap run with the same value is answered with the first result and changes nothing again. ' +
    'Empty: Create Order and Cancel Order are still done once for the same request; Update Order and Adjust Stock are done each time.',
};

/** JSON with sorted keys, so the same body always gives the same key. */
const canonical = (value) => {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
};

/** The Idempotency-Key of a request: the Zap's own key, the body's digest where that is safe, or none. */
const idempotencyKey = (name, body, inputData) => {
  const given = inputData[KEY_FIELD.key];
  if (!isEmpty(given)) return `zapier-${name}-${String(given).trim()}`.slice(0, 255);
  if (!SAME_REQUEST_SAME_ANSWER.includes(name)) return undefined;
  const digest = crypto.createHash('sha256').update(canonical(body)).digest('hex').slice(0, 40);
  return `zapier-${name}-${digest}`;
};

const perform = (name) => async (z, bundle) => {
  const inputData = bundle.inputData || {};
  const body = buildBody(fields.actions[name].inputFields, inputData);
  const key = idempotencyKey(name, body, inputData);
  const response = await z.request({
    url: hubUrl(bundle, `/v1/actions/${name}`),
    method: 'POST',
    body,
    headers: key ? { 'Idempotency-Key': key } : {},
  });
  return response.data;
};

const orderCreate = (name) => ({
  key: name,
  noun: DISPLAY[name].noun,
  display: { label: DISPLAY[name].label, description: fields.actions[name].description },
  operation: {
    inputFields: [...fields.actions[name].inputFields, KEY_FIELD],
    perform: perform(name),
    outputFields: fields.actions[name].outputFields,
    sample: fields.actions[name].sample,
  },
});

// The Find Order lookup's choices (GET /v1/orders) name the fields; the order found is the whole order
// (GET /v1/orders/<id>), the shape Create Order answers.
const order = fields.lookups.order;
const fullOrder = fields.actions.create_order;

/** The whole order, or undefined when it is not (or no longer) the hub's. */
const getOrder = async (z, bundle, orderId) => {
  const response = await z.request({
    url: hubUrl(bundle, `/v1/orders/${encodeURIComponent(orderId)}`),
    skipThrowForStatus: true,
  });
  if (response.status === 404) return undefined;
  response.skipThrowForStatus = false;
  require('./hub').handleHubErrors(response, z);
  return response.data;
};

/** Find Order: by the hub's order id, or by the channel's own order id; [] when none matches. */
const findOrder = async (z, bundle) => {
  const orderId = String((bundle.inputData || {}).order_id || '').trim();
  const channelOrderId = String((bundle.inputData || {}).channel_order_id || '').trim();
  if (!orderId && !channelOrderId) {
    throw new z.errors.Error(
      `Fill in ${order.fields.id.title} or ${order.fields.channel_order_id.title} to find an order.`,
      'InvalidData',
      400,
    );
  }
  if (orderId) {
    const found = await getOrder(z, bundle, orderId);
    // Both given: the order must be that channel's order too.
    if (!found || (channelOrderId && found.channel_order_id !== channelOrderId)) return [];
    return [found];
  }
  const response = await z.request({ url: hubUrl(bundle, '/v1/orders'), params: { channel_order_id: channelOrderId } });
  const choices = Array.isArray(response.data) ? response.data : [];
  const found = await Promise.all(choices.map((choice) => getOrder(z, bundle, choice.id)));
  return found.filter(Boolean);
};

const findOrderSearch = {
  key: 'find_order',
  noun: 'Order',
  display: {
    label: 'Find Order',
    description: 'Finds an order by its hub order ID or by your channel order ID, with its status and history.',
  },
  operation: {
    inputFields: [
      {
        key: 'channel_order_id',
        label: order.fields.channel_order_id.title,
        required: false,
        helpText: `${order.fields.channel_order_id.description} Fill this or ${order.fields.id.title}.`,
        placeholder: order.sample ? order.sample.channel_order_id : undefined,
      },
      {
        key: 'order_id',
        label: order.fields.id.title,
        required: false,
        helpText: `${order.fields.id.description} Fill this or ${order.fields.channel_order_id.title}.`,
        placeholder: order.sample ? order.sample.id : undefined,
      },
    ],
    perform: findOrder,
    outputFields: fullOrder.outputFields,
    sample: fullOrder.sample,
  },
};

const orderCreates = Object.keys(DISPLAY).filter((name) => fields.actions[name]).map(orderCreate);

module.exports = { orderCreates, orderSearches: [findOrderSearch], idempotencyKey, KEY_FIELD };
