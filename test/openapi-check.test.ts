import { expect, test } from "bun:test";
import { checkResponse } from "./openapi-check";

test("an answer that does not match its operation's response schema is an error; one that matches is not", async () => {
  const url = "http://localhost/api/link-tracking/links";
  await expect(checkResponse("POST", url, 201, "application/json", { tracking_id: 42 })).rejects.toThrow(/does not match the OpenAPI document/);
  await expect(checkResponse("POST", url, 409, "application/json", { message: "no error field" })).rejects.toThrow(/does not match/);
  await checkResponse("POST", url, 409, "application/json", { error: "tracking_id is already taken", tracking_id: "x", timestamp: "2026-01-01T00:00:00.000Z" });
  await expect(checkResponse("POST", url, 401, "application/json", { error: "Unauthorized" })).rejects.toThrow(/does not match/);
});
