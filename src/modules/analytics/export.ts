import type { Db } from "../../db";
import { EXPORT_COLUMNS, iterateClicks, type ExportFilter } from "../../db/clicks";
import { csvRow } from "../../lib/csv";

const ROWS_PER_CHUNK = 500;

/** The clicks as CSV chunks: the header, then a few hundred rows at a time. */
export function* clicksCsv(db: Db, filter: ExportFilter): Generator<string> {
  yield csvRow([...EXPORT_COLUMNS]);
  let chunk = "";
  let rows = 0;
  for (const row of iterateClicks(db, filter)) {
    chunk += csvRow(row);
    if (++rows === ROWS_PER_CHUNK) {
      yield chunk;
      chunk = "";
      rows = 0;
    }
  }
  if (chunk) yield chunk;
}

/** A streamed HTTP body: rows are read as the client takes them, never all at once. */
export function csvStream(db: Db, filter: ExportFilter): ReadableStream<string> {
  const chunks = clicksCsv(db, filter);
  return new ReadableStream<string>({
    pull(controller) {
      const next = chunks.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    cancel() {
      chunks.return(undefined);
    },
  });
}
