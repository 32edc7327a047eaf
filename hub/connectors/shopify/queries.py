"""The GraphQL documents the Shopify connector sends to the Admin API."""

SHOP = "query Shop { shop { name currencyCode } }"
LOCATIONS = """
query Locations($after: String) {
  locations(first: 100, after: $after, includeInactive: true) {
    nodes { id name isActive }
    pageInfo { hasNextPage endCursor }
  }
}"""
LEVELS = """
query Levels($id: ID!, $after: String) {
  location(id: $id) {
    inventoryLevels(first: 250, after: $after) {
      nodes { item { sku variant { id } } quantities(names: ["available"]) { name quantity } }
      pageInfo { hasNextPage endCursor }
    }
  }
}"""
ORDERS = """
query Orders($after: String, $query: String) {
  orders(first: 50, after: $after, sortKey: UPDATED_AT, query: $query) {
    nodes {
      id name createdAt processedAt updatedAt cancelledAt closed closedAt
      displayFinancialStatus displayFulfillmentStatus sourceName
      channelInformation { channelDefinition { handle } }
      retailLocation { id }
      customer { id }
      discountCodes
      totalPriceSet { shopMoney { amount currencyCode } }
      lineItems(first: 100) {
        nodes {
          sku name quantity variant { id }
          originalUnitPriceSet { shopMoney { amount currencyCode } }
          discountedTotalSet { shopMoney { amount currencyCode } }
        }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}"""
VARIANT_BY_SKU = """
query VariantBySku($query: String!) {
  productVariants(first: 5, query: $query) {
    nodes { id sku product { id status variantsCount { count } } }
  }
}"""
PUSH_CONTEXT = """
query PushContext { shop { currencyCode } publications(first: 50) { nodes { id catalog { title } } } }"""
PRODUCTS = """
query Products($after: String) {
  shop { currencyCode }
  products(first: 50, after: $after) {
    nodes {
      id title description productType status
      variants(first: 100) { nodes { id sku title price } }
    }
    pageInfo { hasNextPage endCursor }
  }
}"""
PRODUCT_SET = """
mutation ProductSet($input: ProductSetInput!) {
  productSet(input: $input, synchronous: true) {
    product { id }
    userErrors { field message code }
  }
}"""
PRODUCT_UPDATE = """
mutation ProductUpdate($product: ProductUpdateInput!) {
  productUpdate(product: $product) {
    product { id }
    userErrors { field message }
  }
}"""
VARIANTS_UPDATE = """
mutation VariantsUpdate($productId: ID!, $variants: [ProductVariantsBulkInput!]!) {
  productVariantsBulkUpdate(productId: $productId, variants: $variants) {
    productVariants { id }
    userErrors { field message code }
  }
}"""
VARIANTS_DELETE = """
mutation VariantsDelete($productId: ID!, $variantsIds: [ID!]!) {
  productVariantsBulkDelete(productId: $productId, variantsIds: $variantsIds) {
    product { id }
    userErrors { field message code }
  }
}"""
PUBLISH = """
mutation Publish($id: ID!, $input: [PublicationInput!]!) {
  publishablePublish(id: $id, input: $input) {
    userErrors { field message }
  }
}"""
DISCOUNT_BY_CODE = "query DiscountByCode($code: String!) { codeDiscountNodeByCode(code: $code) { id } }"
DISCOUNT_CREATE = """
mutation DiscountCreate($discount: DiscountCodeBasicInput!) {
  discountCodeBasicCreate(basicCodeDiscount: $discount) {
    codeDiscountNode { id }
    userErrors { field message code }
  }
}"""
DISCOUNT_UPDATE = """
mutation DiscountUpdate($id: ID!, $discount: DiscountCodeBasicInput!) {
  discountCodeBasicUpdate(id: $id, basicCodeDiscount: $discount) {
    codeDiscountNode { id }
    userErrors { field message code }
  }
}"""
DISCOUNT_DEACTIVATE = """
mutation DiscountDeactivate($id: ID!) {
  discountCodeDeactivate(id: $id) {
    codeDiscountNode { id }
    userErrors { field message code }
  }
}"""

# ---- orders the hub places (see orders) ----------------------------------------------------------
# The order fields a status is read from (lower case: a fragment, not a document of its own).
_order_fields = """
  id cancelledAt cancelReason closed displayFulfillmentStatus updatedAt
  fulfillmentOrders(first: 10) { nodes { status } }"""
ORDER_BY_TAG = """
query OrderByTag($query: String) {
  orders(first: 1, query: $query) { nodes {""" + _order_fields + """ } }
}"""
ORDER_STATUSES = """
query OrderStatuses($ids: [ID!]!) {
  nodes(ids: $ids) { __typename ... on Order {""" + _order_fields + """ } }
}"""
ORDER_CREATE = """
mutation OrderCreate($order: OrderCreateOrderInput!, $options: OrderCreateOptionsInput) {
  orderCreate(order: $order, options: $options) {
    order {""" + _order_fields + """ }
    userErrors { field message code }
  }
}"""
ORDER_EDIT_BEGIN = """
mutation OrderEditBegin($id: ID!) {
  orderEditBegin(id: $id) {
    calculatedOrder { id lineItems(first: 100) { nodes { id quantity editableQuantity sku variant { id } } } }
    userErrors { field message }
  }
}"""
ORDER_EDIT_SET_QUANTITY = """
mutation OrderEditSetQuantity($id: ID!, $lineItemId: ID!, $quantity: Int!) {
  orderEditSetQuantity(id: $id, lineItemId: $lineItemId, quantity: $quantity, restock: true) {
    calculatedLineItem { id }
    userErrors { field message }
  }
}"""
ORDER_EDIT_ADD_VARIANT = """
mutation OrderEditAddVariant($id: ID!, $variantId: ID!, $quantity: Int!) {
  orderEditAddVariant(id: $id, variantId: $variantId, quantity: $quantity, allowDuplicates: false) {
    calculatedLineItem { id }
    userErrors { field message }
  }
}"""
ORDER_EDIT_COMMIT = """
mutation OrderEditCommit($id: ID!, $staffNote: String) {
  orderEditCommit(id: $id, notifyCustomer: false, staffNote: $staffNote) {
    order {""" + _order_fields + """ }
    userErrors { field message }
  }
}"""
ORDER_CANCEL = """
mutation OrderCancel($orderId: ID!, $reason: OrderCancelReason!, $staffNote: String) {
  orderCancel(orderId: $orderId, reason: $reason, restock: true, notifyCustomer: false, staffNote: $staffNote,
              refundMethod: {originalPaymentMethodsRefund: false}) {
    job { id done }
    orderCancelUserErrors { field message code }
  }
}"""
