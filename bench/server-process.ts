/**
 * The loopback Binance.US server (test/support/BinanceServer.ts) as its own process,
 * as a real exchange is: `node bench/server-process.ts '<options json>'` prints
 * `listening <url>` and serves until killed.
 */
import { startBinanceServer } from "../test/support/BinanceServer.ts"

const server = await startBinanceServer(JSON.parse(process.argv[2] ?? "{}"))
process.stdout.write(`listening ${server.url}\n`)
const stop = () => void server.close().then(() => process.exit(0))
process.on("SIGTERM", stop)
process.on("SIGINT", stop)
