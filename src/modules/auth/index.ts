import { Elysia } from "elysia";
import type { Config } from "../../config";
import type { Db } from "../../db";
import { Forbidden, Unauthorized } from "../../lib/errors";
import { allows, authenticate, presentedKey, type Scope } from "./service";

/**
 * Adds the `auth` route option: `{ auth: "read" }` makes a route need a key whose
 * scope allows reading. Routes without it are public.
 */
export const authPlugin = (db: Db, config: Config) =>
  new Elysia().macro({
    auth: (needed: Scope) => ({
      // transform runs before body validation, so a caller without a key learns nothing of the schema.
      // The Request's own headers: Elysia's parsed `headers` is only filled in when its
      // static analysis sees a hook use it, which minified code can hide.
      transform({ request }) {
        const principal = authenticate(db, config, presentedKey(request.headers));
        if (!principal) throw new Unauthorized();
        if (!allows(principal.scope, needed)) throw new Forbidden(needed);
      },
    }),
  });
