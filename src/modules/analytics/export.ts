import type { Db } from "../../db";
import { EXPORT_COLUMNS, exportPages, type ExportFilter } from "../../db/clicks";
import { csvRow } from "../../lib/csv";

/** The clicks as CSV chunks: the header, then one chunk per page of clicks. */
export function* clicksCsv(db: Db, filter: ExportFilter): Generator<string> {
  yield csvRow([...EXPORT_COLUMNS]);
  for (const rows of exportPages(db, filter)) yield rows.map(csvRow).join("");
}

/** The event loop's turn: timers and sockets (a recruiter's redirect) go before the next page. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A streamed HTTP body: a page of rows is read as the client takes the previous one,
 * and the event loop is given back between pages, so that an export of a million
 * clicks never delays a redirect by more than one page's read (a few milliseconds).
 */
export function csvStream(db: Db, filter: ExportFilter): ReadableStream<string> {
  const chunks = clicksCsv(db, filter);
  return new ReadableStream<string>(
    {
      async pull(controller) {
        await nextTurn();
        const next = chunks.next();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      },
      cancel() {
        chunks.return(undefined);
      },
    },
    { highWaterMark: 0 },
  );
}
