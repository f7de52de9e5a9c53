/**
 * Mail security gateways (Outlook Safe Links, Proofpoint, Mimecast…) open every link of
 * a message within seconds of its delivery, from one address, often with a browser's
 * user agent. A recruiter does not open three links of one application in ten seconds.
 * This remembers the last few seconds of clicks per IP (bounded) and names the burst.
 */
const WINDOW_MS = 10_000;
const LINKS_IN_A_BURST = 3;
const MAX_IPS = 10_000;
/** Clicks remembered per IP: enough to see a burst, and a flood from one IP costs no more per click. */
const MAX_PER_IP = 50;

/** `reported`: already named in a burst (reclassified), so never named again. */
type Recent = { at: number; applicationId: string; trackingId: string; clickId: string; reported: boolean };

export class BurstDetector {
  private byIp = new Map<string, Recent[]>();

  /**
   * Notes a click; when it completes a burst, returns the reason and the ids of the
   * earlier clicks of the burst not named before (they were recorded as they came, and
   * are to be reclassified too). A burst that goes on names each click once: a flood
   * from one address costs one reclassification per click at most, not one per click
   * per click before it.
   */
  note(ip: string | null, applicationId: string | null, trackingId: string, clickId: string, at: number): { reason: string; earlier: string[] } | null {
    if (!ip || !applicationId) return null;
    const recent = (this.byIp.get(ip) ?? []).filter((r) => at - r.at < WINDOW_MS).slice(-(MAX_PER_IP - 1));
    const current: Recent = { at, applicationId, trackingId, clickId, reported: false };
    recent.push(current);
    if (!this.byIp.has(ip) && this.byIp.size >= MAX_IPS) this.byIp.clear();
    this.byIp.set(ip, recent);
    const same = recent.filter((r) => r.applicationId === applicationId);
    const links = new Set(same.map((r) => r.trackingId));
    if (links.size < LINKS_IN_A_BURST) return null;
    const seconds = Math.max(1, Math.ceil((at - same[0].at) / 1000));
    const earlier = same.filter((r) => r !== current && !r.reported);
    for (const r of same) r.reported = true;
    return { reason: `burst: ${links.size} links of one application in ${seconds} s`, earlier: earlier.map((r) => r.clickId) };
  }
}
