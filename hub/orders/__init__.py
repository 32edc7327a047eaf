"""Orders to the POS (DESIGN §6a): what the hub stores, sends and follows for each order.

- status: the status rule, stock holds (and the version the POS took), events and the order's public shape.
- service: the rule with the completion purchase on top (apply_status), and the POS's status reports.
- links: which reported purchases settle an order (completing it with status's rule).
- delivery: ORDER_DELIVERIES, the leased work that sends a create, update or cancel to the POS.
- sync: following the statuses of sent orders (after each poll, and from vendor callbacks).
- purchase_link: the purchase an order ends with (recorded once, decremented once).
"""
