'use strict';
const fs = require('fs');
const path = require('path');
const { App, appTester, bundleWith, hub, problem, rejection, fields, fakeCursorStore } = require('./helpers');

const PROBLEM = { 'Content-Type': 'application/problem+json' };
const SCHEMAS = path.resolve(__dirname, '..', '..', 'schemas');
const example = (relative) => JSON.parse(fs.readFileSync(path.join(SCHEMAS, relative), 'utf8')).examples[0];

const order = fields.actions.create_order.sample;
const stockLevel = fields.actions.adjust_stock.sample;

/** Answers POST path with status/answer and records the body and headers the app sent. */
const capture = (path, status, answer) => {
  const seen = {};
  hub()
    .post(path, (body) => {
      seen.body = body;
      return true;
    })
    .reply(status, function reply() {
      seen.headers = this.req.headers;
      return answer;
    });
  return seen;
};

const createInput = {
  channel_order_id: 'WEB-1042',
  location_id: 'loc_1',
  lines: [
    { sku: 'SAL-CAESAR', quantity: '2', modifiers: '[{"name":"Dressing","option":"Extra parmesan"}]', lines_note: 'No croutons' },
    { sku: 'BWL-TERIYAKI', quantity: '1', lines_note: '' },
  ],
  payment__type: 'prepaid',
  payment__amount: '28.70',
  payment__reference: 'pi_3Nf8xYk2',
  note: 'Please call on arrival',
};

const perform = (key, inputData) => appTester(App.creates[key].operation.perform, bundleWith({ inputData }));

describe('Create Order', () => {
  test('sends the lines as line items with typed quantities, the payment nested and the line note on its line', async () => {
    const seen = capture('/v1/actions/create_order', 202, order);
    await perform('create_order', createInput);
    expect(seen.body).toEqual({
      channel_order_id: 'WEB-1042',
      location_id: 'loc_1',
      lines: [
        { sku: 'SAL-CAESAR', quantity: 2, modifiers: [{ name: 'Dressing', option: 'Extra parmesan' }], note: 'No croutons' },
        { sku: 'BWL-TERIYAKI', quantity: 1 },
      ],
      payment: { type: 'prepaid', amount: '28.70', reference: 'pi_3Nf8xYk2' },
      note: 'Please call on arrival',
    });
  });

  test('answers the order the hub accepted (202)', async () => {
    capture('/v1/actions/create_order', 202, order);
    const result = await perform('create_order', createInput);
    expect(result).toEqual(order);
  });

  test('sends the same Idempotency-Key for the same order, so a replayed Zap run creates nothing more', async () => {
    const first = capture('/v1/actions/create_order', 202, order);
    await perform('create_order', createInput);
    const again = capture('/v1/actions/create_order', 200, order);
    await perform('create_order', { ...createInput, payment__reference: ' pi_3Nf8xYk2 ' });
    expect(first.headers['idempotency-key']).toMatch(/^zapier-create_order-[0-9a-f]{40}$/);
    expect(again.headers['idempotency-key']).toBe(first.headers['idempotency-key']);
  });

  test('sends a different Idempotency-Key for a different order', async () => {
    const first = capture('/v1/actions/create_order', 202, order);
    await perform('create_order', createInput);
    const other = capture('/v1/actions/create_order', 202, order);
    await perform('create_order', { ...createInput, channel_order_id: 'WEB-1043' });
    expect(other.headers['idempotency-key']).not.toBe(first.headers['idempotency-key']);
  });

  test('a mapped idempotency key is sent instead of the body digest, and is not part of the body', async () => {
    const seen = capture('/v1/actions/create_order', 202, order);
    await perform('create_order', { ...createInput, idempotency_key: 'evt_2051' });
    expect(seen.headers['idempotency-key']).toBe('zapier-create_order-evt_2051');
    expect(seen.body).not.toHaveProperty('idempotency_key');
  });

  test('a 422 names the line and the payment field by their form labels', async () => {
    hub()
      .post('/v1/actions/create_order')
      .reply(422, problem(422, 'Unprocessable Content', {
        detail: 'raw',
        errors: [
          { path: '/lines/1/sku', message: "SKU (lines[1].sku) is not in the catalog: 'BWL-X'." },
          { path: '/lines/0/note', message: 'Line note (lines[0].note) must have at most 500 characters.' },
          { path: '/payment/amount', message: 'Amount paid (payment.amount) must equal the order total, 28.70.' },
        ],
      }), PROBLEM);
    const error = await rejection(perform('create_order', createInput));
    const { message, status } = JSON.parse(error.message);
    expect(status).toBe(422);
    expect(message.split('\n').slice(1)).toEqual([
      "- Lines #2 › SKU: is not in the catalog: 'BWL-X'.",
      '- Lines #1 › Line note: must have at most 500 characters.',
      '- Payment: Amount paid: must equal the order total, 28.70.',
    ]);
  });

  test('a channel order id used by another order (409) names the field', async () => {
    hub()
      .post('/v1/actions/create_order')
      .reply(409, problem(409, 'Conflict', {
        detail: "An order with channel order id 'WEB-1042' exists already with other contents.",
        errors: [{ path: '/channel_order_id', message: 'used already by a different order (ord_1)' }],
      }), PROBLEM);
    const error = await rejection(perform('create_order', createInput));
    const { message, status } = JSON.parse(error.message);
    expect(status).toBe(409);
    expect(message).toMatch(/^Conflict: An order with channel order id 'WEB-1042' exists already/);
    expect(message).toContain('- Channel order ID: used already by a different order (ord_1).');
  });

  test('its sample and output fields come from the order contract', () => {
    const op = App.creates.create_order.operation;
    expect(op.sample).toEqual(example('actions/create_order.output.json'));
    const keys = op.outputFields.map((f) => f.key);
    expect(keys).toEqual(expect.arrayContaining(['id', 'status', 'lines[]sku', 'payment__type', 'delivery__status']));
  });

  test('offers the location, SKU and payment type as dropdowns, and no "Wait for the POS"', () => {
    const byKey = Object.fromEntries(App.creates.create_order.operation.inputFields.map((f) => [f.key, f]));
    expect(byKey.location_id.dynamic).toBe('locationList.id.name');
    expect(byKey.lines.children.find((f) => f.key === 'sku').dynamic).toBe('menuItemList.sku.name');
    expect(byKey.payment__type).toMatchObject({ required: true, choices: ['prepaid', 'pay_at_pos'] });
    expect(byKey.wait_for_pos).toBeUndefined();
  });
});

describe('Update Order', () => {
  test('sends the order id and the new lines, without an Idempotency-Key unless one is mapped', async () => {
    const sample = fields.actions.update_order.sample;
    const seen = capture('/v1/actions/update_order', 202, sample);
    const result = await perform('update_order', {
      order_id: 'ord_1', lines: [{ sku: 'SAL-CAESAR', quantity: '1' }, { sku: 'SAL-GREEK', quantity: 1 }],
    });
    expect(seen.body).toEqual({ order_id: 'ord_1', lines: [{ sku: 'SAL-CAESAR', quantity: 1 }, { sku: 'SAL-GREEK', quantity: 1 }] });
    expect(seen.headers['idempotency-key']).toBeUndefined();
    expect(result).toEqual(sample);
  });

  test('sends the mapped idempotency key', async () => {
    const seen = capture('/v1/actions/update_order', 202, fields.actions.update_order.sample);
    await perform('update_order', { order_id: 'ord_1', lines: [{ sku: 'A', quantity: 1 }], idempotency_key: 'row-7-v2' });
    expect(seen.headers['idempotency-key']).toBe('zapier-update_order-row-7-v2');
  });

  test('an order the POS has started (409) is named on the Order ID field', async () => {
    hub()
      .post('/v1/actions/update_order')
      .reply(409, problem(409, 'Conflict', {
        detail: 'The order is ready: the POS has started making it, so its lines can no longer change.',
        errors: [{ path: '/order_id', message: 'order ord_1 is ready' }],
      }), PROBLEM);
    const error = await rejection(perform('update_order', { order_id: 'ord_1', lines: [{ sku: 'A', quantity: 1 }] }));
    expect(JSON.parse(error.message).message).toContain('- Order ID: order ord_1 is ready.');
  });

  test('its Order ID is the order dropdown', () => {
    const orderId = App.creates.update_order.operation.inputFields.find((f) => f.key === 'order_id');
    expect(orderId).toMatchObject({ dynamic: 'orderList.id.name', required: true });
  });
});

describe('Cancel Order', () => {
  test('sends the order id and reason with a key derived from them', async () => {
    const sample = fields.actions.cancel_order.sample;
    const seen = capture('/v1/actions/cancel_order', 202, sample);
    const result = await perform('cancel_order', { order_id: 'ord_1', reason: 'Customer changed their mind' });
    expect(seen.body).toEqual({ order_id: 'ord_1', reason: 'Customer changed their mind' });
    expect(seen.headers['idempotency-key']).toMatch(/^zapier-cancel_order-[0-9a-f]{40}$/);
    expect(result).toEqual(sample);
  });

  test('an unknown order (422) is named on the Order ID field', async () => {
    hub()
      .post('/v1/actions/cancel_order')
      .reply(422, problem(422, 'Unprocessable Content', {
        errors: [{ path: '/order_id', message: "There is no order 'ord_x' in this hub; find it with GET /v1/orders." }],
      }), PROBLEM);
    const error = await rejection(perform('cancel_order', { order_id: 'ord_x' }));
    expect(JSON.parse(error.message).message).toContain("- Order ID: There is no order 'ord_x' in this hub");
  });

  test('its Order ID is the order dropdown', () => {
    const orderId = App.creates.cancel_order.operation.inputFields.find((f) => f.key === 'order_id');
    expect(orderId.dynamic).toBe('orderList.id.name');
  });
});

describe('Adjust Stock', () => {
  test('sends a negative adjustment as an integer and answers the stock level (200)', async () => {
    const seen = capture('/v1/actions/adjust_stock', 200, stockLevel);
    const result = await perform('adjust_stock', { location_id: 'loc_1', sku: 'SAL-CAESAR', adjust_by: '-3', reason: 'Spoiled' });
    expect(seen.body).toEqual({ location_id: 'loc_1', sku: 'SAL-CAESAR', adjust_by: -3, reason: 'Spoiled' });
    expect(result).toEqual(stockLevel);
  });

  test('sends no Idempotency-Key by default: the same delivery twice adds twice', async () => {
    const seen = capture('/v1/actions/adjust_stock', 200, stockLevel);
    await perform('adjust_stock', { location_id: 'loc_1', sku: 'SAL-CAESAR', adjust_by: 12 });
    expect(seen.headers['idempotency-key']).toBeUndefined();
  });

  test('both counts given (422) are named by their labels', async () => {
    hub()
      .post('/v1/actions/adjust_stock')
      .reply(422, problem(422, 'Unprocessable Content', {
        errors: [{ path: '/set_quantity', message: 'Fill Set quantity to or Adjust by, not both.' }],
      }), PROBLEM);
    const error = await rejection(perform('adjust_stock', { location_id: 'loc_1', sku: 'A', set_quantity: 2, adjust_by: 1 }));
    expect(JSON.parse(error.message).message).toContain('- Set quantity to: Fill Set quantity to or Adjust by, not both.');
  });

  test('its sample is the stock level of the contract', () => {
    expect(App.creates.adjust_stock.operation.sample).toEqual(example('actions/adjust_stock.output.json'));
    expect(App.creates.adjust_stock.operation.outputFields.find((f) => f.key === 'is_low').type).toBe('boolean');
  });
});

describe('Find Order', () => {
  const search = (inputData) => appTester(App.searches.find_order.operation.perform, bundleWith({ inputData }));

  test('finds the whole order by the channel order id', async () => {
    const choice = fields.lookups.order.sample;
    hub().get('/v1/orders').query({ channel_order_id: 'WEB-1042' }).reply(200, [choice]);
    hub().get(`/v1/orders/${choice.id}`).reply(200, order);
    expect(await search({ channel_order_id: 'WEB-1042' })).toEqual([order]);
  });

  test('its output fields are the whole order, not the lookup choice', () => {
    expect(App.searches.find_order.operation.outputFields.map((f) => f.key)).toContain('history[]status');
  });

  test('returns nothing when no order has that channel order id', async () => {
    hub().get('/v1/orders').query({ channel_order_id: 'WEB-0' }).reply(200, []);
    expect(await search({ channel_order_id: 'WEB-0' })).toEqual([]);
  });

  test('finds an order by its hub id', async () => {
    hub().get('/v1/orders/ord_5c6d7e8f9a0b1c2d').reply(200, order);
    expect(await search({ order_id: 'ord_5c6d7e8f9a0b1c2d' })).toEqual([order]);
  });

  test('an unknown hub id is no match, not an error', async () => {
    hub().get('/v1/orders/ord_gone').reply(404, problem(404, 'Not Found', { detail: 'No order with this id in this hub.' }), PROBLEM);
    expect(await search({ order_id: 'ord_gone' })).toEqual([]);
  });

  test('other hub errors still fail the search', async () => {
    hub().get('/v1/orders/ord_1').reply(403, problem(403, 'Forbidden', { detail: 'This key has the pos scope.' }), PROBLEM);
    const error = await rejection(search({ order_id: 'ord_1' }));
    expect(JSON.parse(error.message).message).toMatch(/Forbidden: This key has the pos scope/);
  });

  test('asks for one of the two ids when both are empty', async () => {
    const error = await rejection(search({ order_id: ' ', channel_order_id: '' }));
    expect(JSON.parse(error.message).message).toBe('Fill in Order ID or Channel order ID to find an order.');
  });

  test('its sample is the whole order of the contract', () => {
    expect(App.searches.find_order.operation.sample).toEqual(example('actions/create_order.output.json'));
  });
});

describe('Order Status Changed', () => {
  const event = fields.triggers.order_status_changed.sample;

  test('polls the newest status changes with the chosen filters', async () => {
    const scope = hub()
      .get('/v1/triggers/order_status_changed')
      .query({ location_id: 'loc_1', status: 'ready', limit: '100' })
      .reply(200, [event]);
    const items = await appTester(
      App.triggers.order_status_changed.operation.perform,
      bundleWith({ inputData: { location_id: 'loc_1', status: 'ready', connection_id: '' } }),
    );
    expect(items).toEqual([event]);
    expect(scope.isDone()).toBe(true);
  });

  test('the instant variant subscribes a hub hook with the filters', async () => {
    let sent;
    hub()
      .post('/v1/hooks', (body) => {
        sent = body;
        return true;
      })
      .reply(201, { id: 'hook_9', trigger: 'order_status_changed' });
    await appTester(
      App.triggers.order_status_changed_instant.operation.performSubscribe,
      bundleWith({ targetUrl: 'https://hooks.zapier.com/o', inputData: { status: 'completed' } }),
    );
    expect(sent).toEqual({ trigger: 'order_status_changed', target_url: 'https://hooks.zapier.com/o', filters: { status: 'completed' } });
  });

  test('its filters are the location and connection dropdowns and the status choices', () => {
    const byKey = Object.fromEntries(App.triggers.order_status_changed.operation.inputFields.map((f) => [f.key, f]));
    expect(byKey.location_id.dynamic).toBe('locationList.id.name');
    expect(byKey.connection_id.dynamic).toBe('connectionList.id.name');
    expect(byKey.status.choices).toEqual(['received', 'sent', 'accepted', 'rejected', 'ready', 'completed', 'cancelled']);
    expect(Object.values(byKey).every((f) => !f.required)).toBe(true);
  });

  test('its label and sample come from the trigger contract', () => {
    expect(App.triggers.order_status_changed.display.label).toBe('Order Status Changed');
    expect(App.triggers.order_status_changed_instant.operation.sample).toEqual(example('triggers/order_status_changed.output.json'));
  });
});

test('the hidden order dropdown lists the hub orders by name', async () => {
  fakeCursorStore();
  const choice = fields.lookups.order.sample;
  hub().get('/v1/orders').reply(200, [choice]);
  const items = await appTester(App.triggers.orderList.operation.perform, bundleWith());
  expect(items).toEqual([choice]);
  expect(choice.name).toBe('WEB-1042 · Kiosk Mitte · accepted');
  expect(App.triggers.orderList.display).toMatchObject({ hidden: true, label: 'List Order Choices' });
});
