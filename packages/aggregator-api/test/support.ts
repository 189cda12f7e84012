import { ResponseRejectedError } from "../src/index.js";

/** The refusal code `run` throws, or "OK" when it returns. */
export function code(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof ResponseRejectedError) return error.code;
    throw error;
  }
  return "OK";
}
