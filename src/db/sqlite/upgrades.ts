/**
 * Changes to stored data that SQL alone cannot make, run once each after the schema
 * migrations and remembered in settings. Each must be safe to run again (a crash
 * before its mark is stored runs it a second time).
 */
import { normaliseIp } from "../../lib/ip";
import type { Db } from "./index";

type Upgrade = { key: string; run: (db: Db) => void };

/**
 * Addresses stored before every write path spelled them one way (an ingested
 * `2001:0DB8::AB`, `::ffff:203.0.113.77`) are rewritten canonical, so that erasure by
 * IP finds them. Only IPv6 spellings vary: node:net never accepted another IPv4 one.
 */
function canonicalIps(db: Db): void {
  // (Clicks that waited in the old in-database inbox were moved into link_clicks by migration 0010.)
  for (const table of ["link_clicks"]) {
    const spellings = db.$client
      .query<{ ip: string }, []>(`select distinct ip_address as ip from ${table} where ip_address like '%:%'`)
      .all();
    const update = db.$client.prepare(`update ${table} set ip_address = ? where ip_address = ?`);
    for (const { ip } of spellings) {
      const canonical = normaliseIp(ip);
      if (canonical && canonical !== ip) update.run(canonical, ip);
    }
  }
}

const UPGRADES: Upgrade[] = [{ key: "upgrade:canonical_ips", run: canonicalIps }];

export function runUpgrades(db: Db): void {
  const done = db.$client.prepare<{ value: string }, [string]>("select value from settings where key = ?");
  const mark = db.$client.prepare("insert into settings (key, value) values (?, ?) on conflict (key) do nothing");
  for (const upgrade of UPGRADES) {
    if (done.get(upgrade.key)) continue;
    db.$client.transaction(() => {
      upgrade.run(db);
      mark.run(upgrade.key, new Date().toISOString());
    }).immediate();
  }
}
