/**
 * A dry-run journal as the previous release (commit 44f4d2b, schema 0003) wrote it,
 * produced by running that release: on 1000 USDT and 500 HBAR at price 0.1, a buy at
 * 0.08 x 1000 (open), a buy at 0.09 x 100 (filled when the price fell to 0.085), a sell at 0.2 x 300
 * (open), a buy at 0.05 x 100 (cancelled), then a market sell of 50 (filled). The
 * whole paper book is one JSON document in `orderops_state` under `dry-run/book`.
 */

/** The `orderops_orders` rows (schema 0003). */
export const LEGACY_ORDER_ROWS = [
  {
    "client_order_id": "oo_mwuqs8sm_f01ef2797ed2c4bc",
    "order_id": "dry_run_1",
    "symbol": "HBAR/USDT",
    "side": "buy",
    "type": "limit",
    "price": "0.08",
    "quantity": "1000",
    "filled": "0",
    "status": "open",
    "created_at": 1795527617926,
    "updated_at": 1795527617927,
    "detail": null,
    "venue": "dry-run"
  },
  {
    "client_order_id": "oo_mwuqs8sp_9092ef0a6b34b86c",
    "order_id": "dry_run_2",
    "symbol": "HBAR/USDT",
    "side": "buy",
    "type": "limit",
    "price": "0.09",
    "quantity": "100",
    "filled": "100",
    "status": "closed",
    "created_at": 1795527617929,
    "updated_at": 1795527617936,
    "detail": null,
    "venue": "dry-run"
  },
  {
    "client_order_id": "oo_mwuqs8sq_dff6f3a55c2a45ea",
    "order_id": "dry_run_3",
    "symbol": "HBAR/USDT",
    "side": "sell",
    "type": "limit",
    "price": "0.2",
    "quantity": "300",
    "filled": "0",
    "status": "open",
    "created_at": 1795527617930,
    "updated_at": 1795527617931,
    "detail": null,
    "venue": "dry-run"
  },
  {
    "client_order_id": "oo_mwuqs8sr_fd0674bd74c8dac8",
    "order_id": "dry_run_4",
    "symbol": "HBAR/USDT",
    "side": "buy",
    "type": "limit",
    "price": "0.05",
    "quantity": "100",
    "filled": "0",
    "status": "canceled",
    "created_at": 1795527617931,
    "updated_at": 1795527617935,
    "detail": null,
    "venue": "dry-run"
  },
  {
    "client_order_id": "oo_mwuqs8sw_89b15212bd3e8236",
    "order_id": "dry_run_5",
    "symbol": "HBAR/USDT",
    "side": "sell",
    "type": "market",
    "price": "0.085",
    "quantity": "50",
    "filled": "50",
    "status": "closed",
    "created_at": 1795527617936,
    "updated_at": 1795527617937,
    "detail": null,
    "venue": "dry-run"
  }
] as const

/** The `orderops_state` value under `dry-run/book`, byte for byte. */
export const LEGACY_BOOK_JSON = "{\"version\":1,\"seq\":5,\"balances\":{\"USDT\":{\"free\":\"915.24575\",\"used\":\"80\"},\"HBAR\":{\"free\":\"249.9\",\"used\":\"300\"}},\"prices\":{\"HBAR/USDT\":\"0.085\"},\"orders\":[{\"id\":\"dry_run_1\",\"clientOrderId\":\"oo_mwuqs8sm_f01ef2797ed2c4bc\",\"symbol\":\"HBAR/USDT\",\"side\":\"buy\",\"type\":\"limit\",\"price\":\"0.08\",\"quantity\":\"1000\",\"filled\":\"0\",\"status\":\"open\",\"timestamp\":1795527617926},{\"id\":\"dry_run_2\",\"clientOrderId\":\"oo_mwuqs8sp_9092ef0a6b34b86c\",\"symbol\":\"HBAR/USDT\",\"side\":\"buy\",\"type\":\"limit\",\"price\":\"0.09\",\"quantity\":\"100\",\"filled\":\"100\",\"status\":\"closed\",\"timestamp\":1795527617929},{\"id\":\"dry_run_3\",\"clientOrderId\":\"oo_mwuqs8sq_dff6f3a55c2a45ea\",\"symbol\":\"HBAR/USDT\",\"side\":\"sell\",\"type\":\"limit\",\"price\":\"0.2\",\"quantity\":\"300\",\"filled\":\"0\",\"status\":\"open\",\"timestamp\":1795527617930},{\"id\":\"dry_run_4\",\"clientOrderId\":\"oo_mwuqs8sr_fd0674bd74c8dac8\",\"symbol\":\"HBAR/USDT\",\"side\":\"buy\",\"type\":\"limit\",\"price\":\"0.05\",\"quantity\":\"100\",\"filled\":\"0\",\"status\":\"canceled\",\"timestamp\":1795527617932},{\"id\":\"dry_run_5\",\"clientOrderId\":\"oo_mwuqs8sw_89b15212bd3e8236\",\"symbol\":\"HBAR/USDT\",\"side\":\"sell\",\"type\":\"market\",\"price\":\"0.085\",\"quantity\":\"50\",\"filled\":\"50\",\"status\":\"closed\",\"timestamp\":1795527617937}]}"
