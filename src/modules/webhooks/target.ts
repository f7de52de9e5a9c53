/**
 * Where a webhook may be sent. An admin key can add an endpoint; without this check it
 * could make the server post to its own loopback, the VPS provider's metadata service
 * (169.254.169.254) or the home network behind it, and read port states from the
 * delivery log. Private targets are refused unless WEBHOOK_ALLOW_PRIVATE=true: a name is
 * resolved and every address checked before each delivery (a name can change what it
 * points at after it was added).
 */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { ValidationFailed } from "../../lib/errors";
import { isNonPublicIp } from "../../lib/ip";

const PRIVATE_TARGET_HINT = "set WEBHOOK_ALLOW_PRIVATE=true to deliver to private addresses";

const hostOf = (url: string) => new URL(url).hostname.replace(/^\[|\]$/g, "").toLowerCase();

const isLocalName = (host: string) => host === "localhost" || host.endsWith(".localhost");

/** At creation and change: an address or `localhost` that is plainly private is refused at once (400). */
export function checkTargetUrl(url: string, allowPrivate: boolean): void {
  if (allowPrivate) return;
  const host = hostOf(url);
  if (isLocalName(host) || (isIP(host) !== 0 && isNonPublicIp(host))) {
    const message = `url points at a private, loopback or link-local address; ${PRIVATE_TARGET_HINT}`;
    throw new ValidationFailed(message, { validation_errors: [message] });
  }
}

/** Before each delivery (and each destination check): null when the target may be sent to, else why not. */
export async function targetRefusal(url: string, allowPrivate: boolean, hint = PRIVATE_TARGET_HINT): Promise<string | null> {
  if (allowPrivate) return null;
  const host = hostOf(url);
  if (isLocalName(host)) return `refused: ${host} is local; ${hint}`;
  let addresses: string[];
  try {
    addresses = isIP(host) !== 0 ? [host] : (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
  } catch {
    return "unreachable";
  }
  if (addresses.length === 0) return "unreachable";
  return addresses.some(isNonPublicIp) ? `refused: ${host} resolves to a private address; ${hint}` : null;
}
