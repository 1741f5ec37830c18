// k6 has a global console that @types/k6 does not declare. Written so that it merges cleanly with
// @types/node's declarations when the root `load` project (Node types) also picks this file up.
interface Console {
  log(...data: unknown[]): void;
  warn(...data: unknown[]): void;
  error(...data: unknown[]): void;
}
declare var console: Console;
