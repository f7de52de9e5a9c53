import { describe, expect, test } from "bun:test";
import { call, setup } from "../../utils";

describe("/swagger", () => {
  test("the page loads its assets from this server, not a CDN", async () => {
    const { app } = setup();
    const res = await call(app, "/swagger", { key: null });
    expect(res.status).toBe(200);
    expect(res.body).toContain("/swagger/assets/swagger-ui-bundle.js");
    expect(res.body).toContain("/swagger/assets/swagger-ui.css");
    expect(res.body).not.toMatch(/unpkg|jsdelivr|cdnjs/);
    for (const asset of ["swagger-ui-bundle.js", "swagger-ui.css"]) {
      const a = await app.handle(new Request(`http://localhost/swagger/assets/${asset}`));
      expect(a.status).toBe(200);
      expect((await a.text()).length).toBeGreaterThan(10_000);
    }
  });

  test("the document describes the ingest routes from the schemas that validate", async () => {
    const { app } = setup();
    const res = await call(app, "/swagger/json", { key: null });
    expect(res.status).toBe(200);
    const batch = res.body.paths["/api/tracking-ingest/batch"].post;
    const schema = batch.requestBody.content["application/json"].schema;
    const event = schema.properties.events.items;
    expect(schema.properties.events.maxItems).toBe(1000);
    expect(event.required).toEqual(["tracking_id"]);
    expect(event.properties.tracking_id.maxLength).toBe(100);
    expect(JSON.stringify(event.properties.user_agent)).toContain('"maxLength":500');
    expect(res.body.paths["/api/tracking-ingest/health"]).toBeDefined();
    expect(JSON.stringify(res.body)).not.toContain("_zod");
  });
});

describe("/swagger/json for the link routes", () => {
  test("every JSON body of the link routes is described", async () => {
    const { app } = setup();
    const { body } = await call(app, "/swagger/json", { key: null });
    const schemaOf = (path: string, method: string) => body.paths[path][method].requestBody.content["application/json"].schema;
    expect(schemaOf("/api/link-tracking/links", "post").required).toEqual(["original_url", "link_function"]);
    expect(schemaOf("/api/link-tracking/links/{tracking_id}", "patch").properties.is_active.type).toBe("boolean");
    expect(schemaOf("/api/link-tracking/links/bulk", "post").properties.links.maxItems).toBe(100);
    expect(schemaOf("/api/link-tracking/record-click", "post").properties.tracking_id.maxLength).toBe(100);
  });

  test("Swagger's examples read like real requests: a URL, a name, a time; no count of -9007199254740991", async () => {
    const { app } = setup();
    const { body } = await call(app, "/swagger/json", { key: null });
    const link = body.paths["/api/link-tracking/links"].post.requestBody.content["application/json"].schema.properties;
    expect(link.original_url.examples).toEqual(["https://linkedin.com/in/steve-glen"]);
    expect(link.link_function.examples).toEqual(["LinkedIn"]);
    expect(link.expires_at.examples).toEqual(["2027-06-30T23:59:59Z"]);
    // Every example given is one the route itself accepts.
    const made = await call(app, "/api/link-tracking/links", { json: Object.fromEntries(Object.entries(link).map(([k, v]: [string, any]) => [k, v.examples[0]])) });
    expect(made.status).toBe(201);
    expect(JSON.stringify(body)).not.toContain("9007199254740991");
  });
});
