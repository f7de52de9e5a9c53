/** Worker entry: the SQLite store's click writer (src/db/sqlite/writer.ts), with the signal rule. */
import { serveClickWriter } from "./db/sqlite/writer";
import { signalRule } from "./modules/webhooks/signals";

serveClickWriter((signals) => signalRule(signals));
