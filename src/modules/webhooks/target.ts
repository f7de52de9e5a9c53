/**
 * Where a webhook may be sent. An admin key can add an endpoint; without this check it
 * could make the server post to its own loopback, the VPS provider's metadata service
 * (169.254.169.254) or the home network behind it, and read port states from the
 * delivery log. Private targets are refused unless WEBHOOK_ALLOW_PRIVATE=true: here at
 * creation when the URL plainly names one, and at each delivery for the addresses its
 * name resolves to, the one connected to among them (lib/outbound.ts).
 */
import { isIP } from "node:net";
import { ValidationFailed } from "../../lib/errors";
import { isNonPublicIp } from "../../lib/ip";

export const PRIVATE_TARGET_HINT = "set WEBHOOK_ALLOW_PRIVATE=true to deliver to private addresses";

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
