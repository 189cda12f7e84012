export { describeFailure, type FailureDescription, type FailureReason } from "@avskit/runtime";

/** Bigints as decimal strings, so error arguments can go into a JSON log line. */
export function loggable(values: readonly unknown[] | undefined): unknown[] | undefined {
  return values?.map((value) => (typeof value === "bigint" ? value.toString() : value));
}
