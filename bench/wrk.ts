/** wrk against the redirect route (bench/redirect.lua picks a random id of BENCH_IDS per request). */
import { $ } from "bun";
import { join } from "node:path";

const DURATION = Number(process.env.BENCH_DURATION ?? 10);

export type WrkResult = { rps: number; p50: number; p99: number; requests: number; errors: number };

const ms = (value: string, unit: string) => Number(value) * ({ us: 0.001, ms: 1, s: 1000 }[unit] ?? 1);

/** `ipsFile`: each request from one of these addresses (bench/redirect-located.lua), for a server with TRUST_PROXY. */
export async function wrk(port: number, connections: number, idsFile: string, seconds = DURATION, ipsFile?: string): Promise<WrkResult> {
  const script = join(import.meta.dir, ipsFile ? "redirect-located.lua" : "redirect.lua");
  const out = await $`wrk -t2 -c${connections} -d${seconds}s --latency -s ${script} http://127.0.0.1:${port}`
    .env({ ...process.env, BENCH_IDS: idsFile, BENCH_IPS: ipsFile ?? "" })
    .text();
  const lat = (p: string) => {
    const m = new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s)`).exec(out);
    return m ? ms(m[1], m[2]) : NaN;
  };
  const non3xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]),
    p50: lat("50"),
    p99: lat("99"),
    requests: Number(/(\d+) requests in/.exec(out)?.[1]),
    errors: non3xx + (socketErrors ? socketErrors.slice(1).map(Number).reduce((a, b) => a + b, 0) : 0),
  };
}

