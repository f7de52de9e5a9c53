import { EXPORT_COLUMNS, type ExportFilter, type Store } from "../../db/store";
import { csvRow } from "../../lib/csv";
import { nextTurn } from "../../lib/turns";
import { applicationLabel } from "../applications/service";
import { fromCompanyNetwork } from "../clicks/company";

const utf8 = new TextEncoder();

/**
 * The clicks as a streamed CSV body: the header, then a page of rows each time the
 * client has taken the last. The store reads a page off this thread where it can; the
 * event loop's turn comes between two pages, so that an export of a million clicks
 * never delays a redirect by more than a page's formatting (a millisecond or two).
 */
/** The export's columns: the store's, the application's label after its id, and whether a person's click came from its company's network. */
const AT = EXPORT_COLUMNS.indexOf("application_id") + 1;
const KIND = EXPORT_COLUMNS.indexOf("visitor_kind");
const ASN = EXPORT_COLUMNS.indexOf("asn");
const NETWORK = EXPORT_COLUMNS.indexOf("network");
export const CSV_COLUMNS = [...EXPORT_COLUMNS.slice(0, AT), "application_label", ...EXPORT_COLUMNS.slice(AT), "company_network"];

export function csvStream(store: Store, filter: ExportFilter): ReadableStream<Uint8Array> {
  let pages: AsyncIterator<unknown[][]> | null = null;
  let label: (id: string | null) => string | null = () => null;
  let companies = new Map<string, string | null>();
  const fromCompany = (row: unknown[]) =>
    row[KIND] === "human" && fromCompanyNetwork(companies.get(row[AT - 1] as string) ?? null, { asn: (row[ASN] as number | null) ?? null, network: (row[NETWORK] as string | null) ?? null });
  const withLabel = (row: unknown[]) => [...row.slice(0, AT), label((row[AT - 1] as string | null) ?? null), ...row.slice(AT), fromCompany(row)];
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (!pages) {
          const named = new Map((await store.applications.list()).map((a) => [a.applicationId, a]));
          label = (id) => (id ? applicationLabel(id, named.get(id)) : null);
          companies = new Map([...named].map(([id, a]) => [id, a.company]));
          pages = store.clicks.exportPages(filter)[Symbol.asyncIterator]();
          controller.enqueue(utf8.encode(csvRow(CSV_COLUMNS)));
          return;
        }
        await nextTurn();
        const next = await pages.next();
        if (next.done) controller.close();
        else controller.enqueue(utf8.encode(next.value.map((row) => csvRow(withLabel(row))).join("")));
      },
      async cancel() {
        await pages?.return?.();
      },
    },
    { highWaterMark: 0 },
  );
}
