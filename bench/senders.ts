/**
 * Worker thread of `npm run bench`: ingest senders that loop 1000-event batches until
 * told the time is up, each batch with new event ids. On a thread of their own, so that
 * building the bodies never delays the redirect timings measured on the main thread.
 */
declare const self: Worker;

export type SendersRequest = { base: string; key: string; senders: number; ms: number };

self.onmessage = async (event: MessageEvent<SendersRequest>) => {
  const { base, key, senders, ms } = event.data;
  // One body made once, each batch's event ids made new by one replace.
  const template = JSON.stringify({
    events: Array.from({ length: 1000 }, (_, i) => ({
      event_id: `s-__BATCH__-${i}`,
      tracking_id: `ingest-${i % 50}`,
      clicked_at: "2025-10-22T14:30:00Z",
      ip_address: "203.0.113.42",
      user_agent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36",
      click_source: "linkedin",
    })),
  });
  const run = `${process.pid}-${Date.now()}`;
  const end = performance.now() + ms;
  let serial = 0;
  let stored = 0;
  await Promise.all(
    Array.from({ length: senders }, async () => {
      while (performance.now() < end) {
        const res = await fetch(`${base}/api/tracking-ingest/batch`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-api-key": key },
          body: template.replaceAll("__BATCH__", `${run}-${serial++}`),
        });
        await res.arrayBuffer();
        if (res.status === 200) stored += 1000;
      }
    }),
  );
  self.postMessage({ eventsPerSec: stored / (ms / 1000) });
};
