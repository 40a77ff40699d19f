/**
 * The loopback Binance.US server (test/support/BinanceServer.ts) as its own process,
 * as a real exchange is: `node bench/server-process.ts '<options json>'` prints
 * `listening <url>` and serves until killed. Over the IPC channel (when spawned with
 * one), a `"counters"` message is answered with the server's request counters, so a
 * benchmark can count the requests one side sent.
 */
import { startBinanceServer } from "../test/support/BinanceServer.ts"

const server = await startBinanceServer(JSON.parse(process.argv[2] ?? "{}"))
process.stdout.write(`listening ${server.url}\n`)
process.on("message", (message) => {
  if (message === "counters") process.send?.({ counters: server.counters() })
})
const stop = () => void server.close().then(() => process.exit(0))
process.on("SIGTERM", stop)
process.on("SIGINT", stop)
process.on("disconnect", stop)
