/** A wait given up because its signal aborted; the work behind it may still finish. */
export class AbortedError extends Error {
  constructor(reason: unknown) {
    super(`aborted: ${(reason as Error)?.message ?? String(reason ?? "stop requested")}`);
    this.name = "AbortedError";
  }
}

/**
 * Settles like `work`, or rejects with AbortedError as soon as `signal` aborts. viem's requests
 * take no signal: a stopping service must not sit out a hung request's timeout and retries (up
 * to 40 s with the default transport), so it stops waiting and lets the request end by itself.
 */
export function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return work;
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(new AbortedError(signal.reason));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      work.catch(() => undefined);
      reject(new AbortedError(signal.reason));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
