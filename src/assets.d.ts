// Files imported `with { type: "text" }` or `{ type: "file" }` (embedded by bun build --compile).
declare module "*.sql" {
  const text: string;
  export default text;
}
declare module "*.css" {
  const path: string;
  export default path;
}
declare module "swagger-ui-dist/swagger-ui-bundle.js" {
  const path: string;
  export default path;
}
declare module "*.html" {
  const text: string;
  export default text;
}
declare module "*/web/app.js" {
  const text: string;
  export default text;
}
declare module "*.lt" {
  const path: string;
  export default path;
}
