import { EXPORT_COLUMNS, type ExportFilter, type Store } from "../../db/store";
import { csvRow } from "../../lib/csv";
import { nextTurn } from "../../lib/turns";

const utf8 = new TextEncoder();

/**
 * The clicks as a streamed CSV body: the header, then a page of rows each time the
 * client has taken the last. The store reads a page off this thread where it can; the
 * event loop's turn comes between two pages, so that an export of a million clicks
 * never delays a redirect by more than a page's formatting (a millisecond or two).
 */
export function csvStream(store: Store, filter: ExportFilter): ReadableStream<Uint8Array> {
  let pages: AsyncIterator<unknown[][]> | null = null;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (!pages) {
          pages = store.clicks.exportPages(filter)[Symbol.asyncIterator]();
          controller.enqueue(utf8.encode(csvRow([...EXPORT_COLUMNS])));
          return;
        }
        await nextTurn();
        const next = await pages.next();
        if (next.done) controller.close();
        else controller.enqueue(utf8.encode(next.value.map(csvRow).join("")));
      },
      async cancel() {
        await pages?.return?.();
      },
    },
    { highWaterMark: 0 },
  );
}
