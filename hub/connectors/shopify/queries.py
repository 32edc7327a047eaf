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
