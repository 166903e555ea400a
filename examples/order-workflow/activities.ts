/**
 * The order workflow's own activities: a stand-in for your stock, payment and email systems.
 * Plain functions built by a factory over their dependencies (here an in-memory store), as in
 * Temporal's samples; zap-agents' activities come from the worker plugin.
 */

/** The reply the Support agent drafts (its output schema, as a type). */
export interface CustomerReply {
  subject: string;
  body: string;
}

/** An order as the shop stores it. */
export interface Order {
  orderId: string;
  customer: string;
  email: string;
  item: string;
  quantity: number;
  unitPriceCents: number;
}

/** What the activities touch, so the example can check what happened. */
export interface Shop {
  orders: Map<string, Order>;
  stock: Map<string, number>;
  charges: Array<{ orderId: string; amountCents: number }>;
  sentEmails: Array<{ to: string; reply: CustomerReply }>;
}

export function createShopActivities(shop: Shop) {
  return {
    async reserveStock(orderId: string): Promise<number> {
      const order = orderOf(shop, orderId);
      const available = shop.stock.get(order.item) ?? 0;
      if (available < order.quantity) throw new Error(`Only ${available} ${order.item} left`);
      shop.stock.set(order.item, available - order.quantity);
      return order.quantity * order.unitPriceCents;
    },
    async chargeCustomer(orderId: string, amountCents: number): Promise<string> {
      shop.charges.push({ orderId, amountCents });
      return `charge-${orderId}`;
    },
    async sendEmail(orderId: string, reply: CustomerReply): Promise<void> {
      shop.sentEmails.push({ to: orderOf(shop, orderId).email, reply });
    },
  };
}

export type ShopActivities = ReturnType<typeof createShopActivities>;

export function orderOf(shop: Shop, orderId: string): Order {
  const order = shop.orders.get(orderId);
  if (!order) throw new Error(`No order ${orderId}`);
  return order;
}
