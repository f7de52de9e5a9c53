import { expect, test } from "bun:test";
import { checkResponse } from "./openapi-check";

test("an answer that does not match its operation's response schema is an error; one that matches is not", async () => {
  const url = "http://localhost/api/link-tracking/links";
  await expect(checkResponse("POST", url, 201, "application/json", { tracking_id: 42 })).rejects.toThrow(/does not match the OpenAPI document/);
  await expect(checkResponse("POST", url, 409, "application/json", { message: "no error field" })).rejects.toThrow(/does not match/);
  await checkResponse("POST", url, 409, "application/json", { error: "tracking_id is already taken", tracking_id: "x", timestamp: "2026-01-01T00:00:00.000Z" });
  await expect(checkResponse("POST", url, 401, "application/json", { error: "Unauthorized" })).rejects.toThrow(/does not match/);
});

test("a JSON answer with a status the document does not describe is an error too", async () => {
  await expect(checkResponse("GET", "http://localhost/api/link-tracking/links", 418, "application/json", { error: "teapot" })).rejects.toThrow(/does not describe/);
  // Not JSON, or not an API path: not the document's business.
  await checkResponse("GET", "http://localhost/api/link-tracking/links", 418, "text/html", "<p>teapot</p>");
  await checkResponse("GET", "http://localhost/linkedin?uuid=x", 404, "application/json", {});
});
