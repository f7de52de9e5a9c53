import pkg from "../package.json" with { type: "json" };

declare const LINK_TRACKER_VERSION: string | undefined;

/** Injected by `bun build --define` into the binary; package.json's in development. */
export const VERSION: string = typeof LINK_TRACKER_VERSION === "string" ? LINK_TRACKER_VERSION : pkg.version;
